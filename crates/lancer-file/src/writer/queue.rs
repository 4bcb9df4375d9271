//! The queue of one column: Arrow arrays waiting until they add up to a page.

use arrow_array::{Array, ArrayRef};

/// Arrays of one column to encode as one page (or, in 2.1/2.2, a run of pages).
pub(super) struct Job {
    pub(super) column: usize,
    pub(super) arrays: Vec<ArrayRef>,
}

/// A column's waiting arrays and roughly how many encoded bytes they make.
#[derive(Default)]
pub(super) struct ColumnQueue {
    queue: Vec<ArrayRef>,
    queued_bytes: usize,
}

impl ColumnQueue {
    /// Queues `array` (`estimate` bytes once encoded; `estimate_of` sizes a piece of it) for
    /// column `index`, adding a job whenever a page's worth is ready. An array larger than a
    /// page is cut into pieces of at least a page each; those become pages straight from the
    /// caller's buffers.
    pub(super) fn push(
        &mut self,
        index: usize,
        array: ArrayRef,
        estimate: usize,
        estimate_of: impl Fn(&ArrayRef) -> usize,
        page_bytes: usize,
        jobs: &mut Vec<Job>,
    ) {
        if array.is_empty() {
            return;
        }
        let pieces = (estimate / page_bytes).max(1);
        let rows_per_piece = array.len().div_ceil(pieces);
        let mut offset = 0;
        while offset < array.len() {
            let len = rows_per_piece.min(array.len() - offset);
            let (piece, bytes) = if pieces == 1 {
                (array.clone(), estimate)
            } else {
                let piece = array.slice(offset, len);
                let bytes = estimate_of(&piece);
                (piece, bytes)
            };
            if self.queue.is_empty() && bytes >= page_bytes {
                jobs.push(Job {
                    column: index,
                    arrays: vec![piece],
                });
            } else {
                // Queued data may wait for many batches: hold a compact copy rather than a
                // slice that pins the caller's (possibly much larger) buffers.
                let piece = if piece.get_buffer_memory_size() > 2 * bytes + 4096 {
                    // A copy that fails (offset overflow) is no worse than the slice itself.
                    lancer_encoding::compact(&piece).unwrap_or(piece)
                } else {
                    piece
                };
                self.queued_bytes += bytes;
                self.queue.push(piece);
                if self.queued_bytes >= page_bytes {
                    jobs.extend(self.take(index));
                }
            }
            offset += len;
        }
    }

    /// A job for whatever waits, if anything does.
    pub(super) fn take(&mut self, index: usize) -> Option<Job> {
        self.queued_bytes = 0;
        (!self.queue.is_empty()).then(|| Job {
            column: index,
            arrays: std::mem::take(&mut self.queue),
        })
    }
}
