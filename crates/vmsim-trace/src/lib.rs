//! Trace readers and writers for vmsim. Records are plain integers; the model crate wraps them in its own types.
//!
//! | Module / item            | Reads or does                                   | Source                                   |
//! |--------------------------|-------------------------------------------------|------------------------------------------|
//! | [`LackeyReader`]         | valgrind lackey memory traces (`I`/`L`/`S`/`M`) | valgrind `lackey/lk_main.c`              |
//! | [`PagesReader`]          | one page number per line; [`write_pages`]       | libCacheSim `generalReader/txt.c`        |
//! | [`Threaded`]             | parsing on a second thread, in batches          |                                          |
//! | [`Recorded`]             | records decoded once, replayed many times       |                                          |
//! | [`pages_touched`]        | the pages an access touches                     |                                          |
//! | [`lackey_to_pages`]      | lackey trace → page trace, for libCacheSim      |                                          |
//! | [`ParseError`]           | `FILE:LINE: what is wrong (hint)`               |                                          |
//!
//! Readers stream in constant memory: they read 1 MiB blocks and parse the bytes in place. The fast path is
//! [`BatchSource::next_batch`], which fills a reused `Vec` with up to 64 Ki records; [`Threaded`] runs it on its
//! own thread so parsing overlaps simulation.
//!
//! ```no_run
//! use vmsim_trace::{pages_touched, LackeyReader, Threaded};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut trace = Threaded::spawn(LackeyReader::open("prog.lackey")?)?;
//! let mut batch = Vec::new();
//! while trace.next_batch(&mut batch)? > 0 {
//!     for access in &batch {
//!         for vpn in pages_touched(access.addr, access.size, 12) {
//!             // translate and touch `vpn` for `access.kind`
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod convert;
mod error;
mod lackey;
mod pages;
mod reader;
mod record;
mod recorded;
mod threaded;

pub use convert::{lackey_to_pages, ConvertError};
pub use error::{ParseError, ParseErrorKind, Result};
pub use lackey::LackeyReader;
pub use pages::{write_pages, PagesReader};
pub use reader::BatchSource;
pub use record::{pages_touched, Access, AccessKind};
pub use recorded::Recorded;
pub use threaded::Threaded;
