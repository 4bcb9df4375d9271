//! Pages as they travel between the encoder and the file container.

use arrow_buffer::Buffer;
use bytes::Bytes;

use crate::proto::ArrayEncoding;

/// One buffer of a page. It may be assembled from several chunks (for example the value
/// buffers of several Arrow arrays) so that fixed-width data reaches the file without being
/// copied into a new allocation first; the chunks are written back to back.
#[derive(Clone, Debug, Default)]
pub struct PageBuffer {
    chunks: Vec<Bytes>,
    len: usize,
}

impl PageBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a chunk.
    pub fn push(&mut self, chunk: Bytes) {
        self.len += chunk.len();
        if !chunk.is_empty() {
            self.chunks.push(chunk);
        }
    }

    /// Appends an Arrow buffer without copying it.
    pub fn push_arrow(&mut self, buffer: Buffer) {
        self.push(arrow_to_bytes(buffer));
    }

    /// Total length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunks in write order.
    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    /// Moves the chunks out.
    pub fn into_chunks(self) -> Vec<Bytes> {
        self.chunks
    }

    /// The whole buffer as one contiguous [`Bytes`] (copies only if it has several chunks).
    pub fn to_contiguous(&self) -> Bytes {
        match self.chunks.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            many => {
                let mut out = Vec::with_capacity(self.len);
                for chunk in many {
                    out.extend_from_slice(chunk);
                }
                Bytes::from(out)
            }
        }
    }
}

impl From<Buffer> for PageBuffer {
    fn from(buffer: Buffer) -> Self {
        let mut out = Self::new();
        out.push_arrow(buffer);
        out
    }
}

impl From<Vec<u8>> for PageBuffer {
    fn from(bytes: Vec<u8>) -> Self {
        let mut out = Self::new();
        out.push(Bytes::from(bytes));
        out
    }
}

/// Shares an Arrow buffer's memory as [`Bytes`] without copying.
pub fn arrow_to_bytes(buffer: Buffer) -> Bytes {
    Bytes::from_owner(ArrowOwner(buffer))
}

struct ArrowOwner(Buffer);

impl AsRef<[u8]> for ArrowOwner {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// A page ready to be written: its buffers, in buffer-index order, and the encoding tree that
/// refers to them.
#[derive(Clone, Debug)]
pub struct EncodedPage {
    /// Number of values in the page, in the column's own value space (rows, list items, ...).
    pub num_values: u64,
    /// The page's buffers; `encoding` refers to them by index.
    pub buffers: Vec<PageBuffer>,
    /// How the buffers encode the values.
    pub encoding: ArrayEncoding,
}

impl EncodedPage {
    /// Total bytes of all buffers (without alignment padding).
    pub fn buffer_bytes(&self) -> usize {
        self.buffers.iter().map(PageBuffer::len).sum()
    }
}

/// Collects a page's buffers while the encoding tree is built, handing out indices in the order
/// the encoder visits them (the order pylance uses).
#[derive(Default)]
pub(crate) struct BufferSet {
    buffers: Vec<PageBuffer>,
}

impl BufferSet {
    pub(crate) fn push(&mut self, buffer: PageBuffer) -> u32 {
        self.buffers.push(buffer);
        (self.buffers.len() - 1) as u32
    }

    pub(crate) fn into_inner(self) -> Vec<PageBuffer> {
        self.buffers
    }
}
