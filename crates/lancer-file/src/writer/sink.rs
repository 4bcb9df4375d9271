//! Where a file's bytes go: one `put` for small files, a multipart upload once a file grows
//! past the upload chunk size, so a writer never holds a whole large file in memory.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::error::Result;

pub(crate) struct Sink {
    store: Arc<dyn ObjectStore>,
    path: Path,
    chunk_bytes: usize,
    max_concurrency: usize,
    state: State,
}

enum State {
    Buffering { chunks: Vec<Bytes>, len: usize },
    Streaming(WriteMultipart),
}

impl Sink {
    pub(crate) fn new(
        store: Arc<dyn ObjectStore>,
        path: Path,
        chunk_bytes: usize,
        max_concurrency: usize,
    ) -> Self {
        Sink {
            store,
            path,
            chunk_bytes,
            max_concurrency,
            state: State::Buffering {
                chunks: Vec::new(),
                len: 0,
            },
        }
    }

    pub(crate) async fn write(&mut self, chunk: Bytes) -> Result<()> {
        match &mut self.state {
            State::Buffering { chunks, len } => {
                *len += chunk.len();
                chunks.push(chunk);
                if *len >= self.chunk_bytes {
                    let upload = self.store.put_multipart(&self.path).await?;
                    let mut multipart =
                        WriteMultipart::new_with_chunk_size(upload, self.chunk_bytes);
                    for chunk in std::mem::take(chunks) {
                        multipart.put(chunk);
                    }
                    self.state = State::Streaming(multipart);
                }
            }
            State::Streaming(multipart) => {
                multipart.wait_for_capacity(self.max_concurrency).await?;
                multipart.put(chunk);
            }
        }
        Ok(())
    }

    pub(crate) async fn finish(self) -> Result<()> {
        match self.state {
            State::Buffering { chunks, .. } => {
                let payload: PutPayload = chunks.into_iter().collect();
                self.store.put(&self.path, payload).await?;
            }
            State::Streaming(multipart) => {
                multipart.finish().await?;
            }
        }
        Ok(())
    }

    pub(crate) async fn abort(self) -> Result<()> {
        if let State::Streaming(multipart) = self.state {
            multipart.abort().await?;
        }
        Ok(())
    }
}
