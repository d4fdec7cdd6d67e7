//! Trace parse errors: every error names the file and the line, says what is wrong and what would have been valid.
//!
//! Line numbers count from 1. Line 0 means the error concerns the whole file (it could not be opened), and is
//! displayed without a line number: `trace.txt: cannot open: No such file or directory (os error 2) (...)`.

use std::fmt;
use std::path::PathBuf;

/// Longest piece of offending input quoted in a message; longer text is cut and ends in `…`.
const MAX_QUOTED_BYTES: usize = 32;

/// Result of reading a trace.
pub type Result<T, E = ParseError> = std::result::Result<T, E>;

/// A trace could not be read: where, what, and a hint at what would have been valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {kind} ({hint})", .path.display(), LineSuffix(*.line))]
pub struct ParseError {
    /// The trace file, as given by the caller (only used for messages).
    pub path: PathBuf,
    /// 1-based line number of the offending line; 0 when the error concerns the whole file.
    pub line: u64,
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// What would have been valid.
    pub hint: &'static str,
}

/// What is wrong with a trace line or file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The file could not be opened; carries the OS reason.
    #[error("cannot open: {0}")]
    Open(String),
    /// Reading the file failed; carries the OS reason.
    #[error("read error: {0}")]
    Io(String),
    /// A line does not fit in the read buffer (the limit keeps memory use constant).
    #[error("line is longer than {0} bytes")]
    TooLong(usize),
    /// A lackey line starts with something other than `I`, `L`, `S` or `M`.
    #[error("unknown operation {0:?}")]
    UnknownOp(String),
    /// An address field that is not hexadecimal.
    #[error("address {0:?} is not hexadecimal")]
    BadAddress(String),
    /// An address with more than 64 significant bits.
    #[error("address {0:?} does not fit in 64 bits")]
    AddressTooLarge(String),
    /// The address is not followed by `,size`.
    #[error("missing ',' after the address")]
    MissingComma,
    /// A size field that is not a decimal number.
    #[error("size {0:?} is not a decimal number")]
    BadSize(String),
    /// A size of 0: lackey never writes one (lackey/lk_main.c asserts `dsize >= 1` for data and an instruction
    /// length of at least `VG_MIN_INSTR_SZB` = 1 for `I` records).
    #[error("size 0: an access of no bytes")]
    ZeroSize,
    /// A size that does not fit in 32 bits.
    #[error("size {0:?} does not fit in 32 bits")]
    SizeTooLarge(String),
    /// The accessed bytes run past the top of the 64-bit address space (`addr + size > 2^64`).
    #[error("{size}-byte access at {addr:#x} runs past the top of the 64-bit address space")]
    AddressOverflow {
        /// First byte accessed.
        addr: u64,
        /// Bytes accessed.
        size: u32,
    },
    /// A page-number line that is neither decimal nor `0x` hexadecimal.
    #[error("page number {0:?} is not a decimal or 0x-hexadecimal number")]
    BadPage(String),
    /// A page number with more than 64 significant bits.
    #[error("page number {0:?} does not fit in 64 bits")]
    PageTooLarge(String),
    /// Text after a complete record.
    #[error("unexpected text {0:?} after the record")]
    TrailingText(String),
}

impl ParseError {
    /// The error for a file that could not be opened.
    pub(crate) fn open(path: PathBuf, err: &std::io::Error) -> Self {
        Self { path, line: 0, kind: ParseErrorKind::Open(err.to_string()), hint: "check the path and permissions" }
    }
}

/// Displays `:{line}`, or nothing for line 0.
struct LineSuffix(u64);

impl fmt::Display for LineSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => Ok(()),
            line => write!(f, ":{line}"),
        }
    }
}

/// Offending input for a message: lossy UTF-8, at most [`MAX_QUOTED_BYTES`] bytes, cut ones marked with `…`.
pub(crate) fn quote(bytes: &[u8]) -> String {
    match bytes.get(..MAX_QUOTED_BYTES) {
        Some(head) if bytes.len() > MAX_QUOTED_BYTES => format!("{}…", String::from_utf8_lossy(head)),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(line: u64, kind: ParseErrorKind, hint: &'static str) -> ParseError {
        ParseError { path: PathBuf::from("trace.txt"), line, kind, hint }
    }

    #[test]
    fn display_is_path_line_kind_hint() {
        let e = err(17, ParseErrorKind::UnknownOp("X".into()), "expected I, L, S or M");
        assert_eq!(e.to_string(), r#"trace.txt:17: unknown operation "X" (expected I, L, S or M)"#);
    }

    #[test]
    fn line_zero_is_not_displayed() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let e = ParseError::open(PathBuf::from("missing.trace"), &io);
        assert_eq!(e.to_string(), "missing.trace: cannot open: entity not found (check the path and permissions)");
    }

    #[test]
    fn kinds_display() {
        let cases = [
            (ParseErrorKind::Io("boom".into()), "read error: boom"),
            (ParseErrorKind::TooLong(64), "line is longer than 64 bytes"),
            (ParseErrorKind::BadAddress("zz".into()), r#"address "zz" is not hexadecimal"#),
            (ParseErrorKind::AddressTooLarge("1".repeat(17)), r#"address "11111111111111111" does not fit in 64 bits"#),
            (ParseErrorKind::MissingComma, "missing ',' after the address"),
            (ParseErrorKind::BadSize("q".into()), r#"size "q" is not a decimal number"#),
            (ParseErrorKind::SizeTooLarge("4294967296".into()), r#"size "4294967296" does not fit in 32 bits"#),
            (
                ParseErrorKind::AddressOverflow { addr: u64::MAX, size: 2 },
                "2-byte access at 0xffffffffffffffff runs past the top of the 64-bit address space",
            ),
            (ParseErrorKind::BadPage("x1".into()), r#"page number "x1" is not a decimal or 0x-hexadecimal number"#),
            (
                ParseErrorKind::PageTooLarge("0x1".repeat(9)),
                r#"page number "0x10x10x10x10x10x10x10x10x1" does not fit in 64 bits"#,
            ),
            (ParseErrorKind::TrailingText("x".into()), r#"unexpected text "x" after the record"#),
        ];
        for (kind, text) in cases {
            assert_eq!(kind.to_string(), text);
        }
    }

    #[test]
    fn quote_cuts_long_input_and_survives_bad_utf8() {
        assert_eq!(quote(b"abc"), "abc");
        assert_eq!(quote(&[b'a'; 40]), format!("{}…", "a".repeat(32)));
        assert_eq!(quote(&[0xff, b'x']), "\u{fffd}x");
    }
}
