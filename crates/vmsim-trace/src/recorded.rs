//! Records decoded once and replayed many times (issue 15: a sweep decodes each trace once for all the
//! configurations that replay it): a [`BatchSource`] over a shared, immutable slice.

use crate::error::Result;
use crate::reader::{BatchSource, DEFAULT_BATCH_LEN};
use std::sync::Arc;

/// A [`BatchSource`] that hands out `records` in batches of the readers' size, from the start. Cloning the `Arc`
/// is all a second replay of the same trace costs.
#[derive(Debug, Clone)]
pub struct Recorded<T> {
    records: Arc<[T]>,
    pos: usize,
}

impl<T> Recorded<T> {
    /// A source that yields `records` in order.
    pub fn new(records: Arc<[T]>) -> Self {
        Self { records, pos: 0 }
    }
}

impl<T: Copy> BatchSource for Recorded<T> {
    type Record = T;

    fn next_batch(&mut self, out: &mut Vec<T>) -> Result<usize> {
        out.clear();
        let end = self.records.len().min(self.pos.saturating_add(DEFAULT_BATCH_LEN));
        out.extend_from_slice(&self.records[self.pos..end]);
        let n = end - self.pos;
        self.pos = end;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yields_every_record_once_in_batches() {
        let n = DEFAULT_BATCH_LEN * 2 + 5;
        let all: Arc<[u64]> = (0..n as u64).collect();
        let mut src = Recorded::new(all.clone());
        let (mut got, mut batch, mut sizes) = (Vec::new(), Vec::new(), Vec::new());
        loop {
            let k = src.next_batch(&mut batch).unwrap();
            if k == 0 {
                break;
            }
            sizes.push(k);
            got.extend_from_slice(&batch);
        }
        assert_eq!(sizes, vec![DEFAULT_BATCH_LEN, DEFAULT_BATCH_LEN, 5]);
        assert_eq!(&got[..], &all[..]);
        assert_eq!(src.next_batch(&mut batch).unwrap(), 0, "stays at the end");
    }
}
