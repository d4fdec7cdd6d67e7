//! Parsing on a second thread, so that reading and parsing a trace overlap simulating it.
//!
//! A parser thread fills batches from any [`BatchSource`] and sends them through a bounded channel; the consumer
//! swaps each one into its own `Vec` and sends its old `Vec` back to be refilled, so after the first few batches no
//! memory is allocated. Records and errors arrive in trace order: the records before a bad line, then the error.

use crate::error::Result;
use crate::reader::BatchSource;
use std::fmt;
use std::io;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::{self, JoinHandle};

/// Batches parsed ahead of the consumer. Two keep the parser busy while the consumer works on a third; four absorb
/// jitter. Memory: (`QUEUED_BATCHES` + 2) batches, 6 MiB at the default 64 Ki accesses per batch.
const QUEUED_BATCHES: usize = 4;

/// A [`BatchSource`] whose parsing runs on its own thread. Dropping it stops the thread at its next batch.
pub struct Threaded<T> {
    batches: Receiver<Result<Vec<T>>>,
    recycle: Sender<Vec<T>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Threaded<T> {
    /// Starts a thread named `vmsim-trace` that parses `source` ahead of the consumer.
    ///
    /// Fails only if the operating system cannot start the thread.
    pub fn spawn<S>(source: S) -> io::Result<Self>
    where
        S: BatchSource<Record = T> + Send + 'static,
    {
        let (batch_tx, batches) = mpsc::sync_channel(QUEUED_BATCHES);
        let (recycle, recycle_rx) = mpsc::channel();
        let thread = thread::Builder::new().name("vmsim-trace".into()).spawn(move || {
            parse_ahead(source, &batch_tx, &recycle_rx);
        })?;
        Ok(Self { batches, recycle, thread: Some(thread) })
    }

    /// Replaces the contents of `out` with the next batch and returns its length; 0 only at the end of the trace.
    ///
    /// Blocks until the parser thread has a batch ready. `out`'s old buffer goes back to the parser for reuse.
    pub fn next_batch(&mut self, out: &mut Vec<T>) -> Result<usize> {
        out.clear();
        match self.batches.recv() {
            Ok(Ok(mut batch)) => {
                std::mem::swap(out, &mut batch);
                let _ = self.recycle.send(batch); // the parser may have finished: then the buffer is just dropped
                Ok(out.len())
            }
            Ok(Err(err)) => Err(err),
            Err(mpsc::RecvError) => {
                // The parser has finished. A panic there is a bug in this crate, not bad input: pass it on.
                if let Some(Err(panic)) = self.thread.take().map(JoinHandle::join) {
                    std::panic::resume_unwind(panic);
                }
                Ok(0)
            }
        }
    }
}

/// The parser thread: fills recycled buffers until the source ends or fails, or the consumer goes away.
fn parse_ahead<S: BatchSource>(
    mut source: S,
    batches: &SyncSender<Result<Vec<S::Record>>>,
    recycle: &Receiver<Vec<S::Record>>,
) {
    loop {
        // A buffer the consumer has finished with, or a new one while the pipeline fills.
        let mut batch = recycle.try_recv().unwrap_or_default();
        let sent = match source.next_batch(&mut batch) {
            Ok(0) => return,
            Ok(_) => batches.send(Ok(batch)),
            Err(err) => {
                let _ = batches.send(Err(err));
                return;
            }
        };
        if sent.is_err() {
            return; // the consumer was dropped
        }
    }
}

impl<T: Send + 'static> BatchSource for Threaded<T> {
    type Record = T;
    fn next_batch(&mut self, out: &mut Vec<T>) -> Result<usize> {
        Threaded::next_batch(self, out)
    }
}

impl<T> fmt::Debug for Threaded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Threaded").field("finished", &self.thread.is_none()).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Access, AccessKind, LackeyReader, PagesReader, ParseErrorKind};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    fn drain<S: BatchSource>(source: &mut S) -> (Vec<Vec<S::Record>>, Option<crate::ParseError>)
    where
        S::Record: Clone,
    {
        let (mut out, mut batches) = (Vec::new(), Vec::new());
        loop {
            match source.next_batch(&mut out) {
                Ok(0) => return (batches, None),
                Ok(_) => batches.push(out.clone()),
                Err(e) => return (batches, Some(e)),
            }
        }
    }

    #[test]
    fn delivers_every_batch_in_order() -> io::Result<()> {
        let text: String = (0..10_000u64).map(|p| format!("{p}\n")).collect();
        let reader = PagesReader::new(std::io::Cursor::new(text.into_bytes()), "p").batch_len(64);
        let mut threaded = Threaded::spawn(reader)?;
        let (batches, err) = drain(&mut threaded);
        assert_eq!(err, None);
        assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= 64));
        assert_eq!(batches.concat(), (0..10_000).collect::<Vec<_>>());
        // The end is sticky.
        assert_eq!(threaded.next_batch(&mut Vec::new()), Ok(0));
        Ok(())
    }

    #[test]
    fn records_before_an_error_then_the_error_then_the_end() -> io::Result<()> {
        let mut text: String = (0..1000).map(|_| "I  401000,4\n").collect();
        text.push_str(" L 1234,zz\nI  401000,4\n");
        let reader = LackeyReader::new(std::io::Cursor::new(text.into_bytes()), "trace.txt").batch_len(100);
        let mut threaded = Threaded::spawn(reader)?;
        let (batches, err) = drain(&mut threaded);
        assert_eq!(batches.concat(), vec![Access { kind: AccessKind::Fetch, addr: 0x401000, size: 4 }; 1000]);
        let err = err.map(|e| (e.line, e.kind));
        assert_eq!(err, Some((1001, ParseErrorKind::BadSize("zz".into()))));
        assert_eq!(threaded.next_batch(&mut Vec::new()), Ok(0));
        Ok(())
    }

    #[test]
    fn open_error_is_reported_before_any_thread() {
        assert!(PagesReader::open("/nonexistent/p").is_err());
    }

    /// An endless source that says when the parser thread has dropped it.
    struct Endless(Arc<AtomicBool>);

    impl BatchSource for Endless {
        type Record = u64;
        fn next_batch(&mut self, out: &mut Vec<u64>) -> Result<usize> {
            out.clear();
            out.extend([1, 2, 3]);
            Ok(3)
        }
    }

    impl Drop for Endless {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn dropping_the_consumer_stops_the_parser() -> io::Result<()> {
        let stopped = Arc::new(AtomicBool::new(false));
        let mut threaded = Threaded::spawn(Endless(Arc::clone(&stopped)))?;
        let mut out = Vec::new();
        assert_eq!(threaded.next_batch(&mut out), Ok(3));
        drop(threaded);
        // The parser notices at its next send; allow it a generous 10 s to get there.
        for _ in 0..1000 {
            if stopped.load(Ordering::SeqCst) {
                return Ok(());
            }
            thread::sleep(std::time::Duration::from_millis(10));
        }
        Err(io::Error::other("the parser thread is still running"))
    }
}
