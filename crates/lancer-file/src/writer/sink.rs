//! Where a file's bytes go. On an object store: one `put` for small files, a multipart upload
//! once a file grows past the upload chunk size, so a writer never holds a whole large file
//! in memory. On a local disk: straight into a staging file, renamed into place at the end.
//!
//! The local path exists for memory, not speed: pages are written without copying, as
//! slices of the caller's batches, and a multipart part waiting for upload keeps every batch
//! it points into alive. Writing each chunk as it comes lets a batch go as soon as the
//! writer is done with it.

use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::error::{Error, Result};

/// Small chunks (padding, metadata, footers) are gathered up to this size before a write.
const LOCAL_BATCH_BYTES: usize = 1 << 20;

pub(crate) enum Sink {
    Store(StoreSink),
    Local(LocalSink),
}

impl Sink {
    pub(crate) async fn write(&mut self, chunk: Bytes) -> Result<()> {
        match self {
            Sink::Store(sink) => sink.write(chunk).await,
            Sink::Local(sink) => sink.write(chunk).await,
        }
    }

    pub(crate) async fn finish(self) -> Result<()> {
        match self {
            Sink::Store(sink) => sink.finish().await,
            Sink::Local(sink) => sink.finish().await,
        }
    }

    pub(crate) async fn abort(self) -> Result<()> {
        match self {
            Sink::Store(sink) => sink.abort().await,
            Sink::Local(sink) => sink.abort().await,
        }
    }
}

pub(crate) struct StoreSink {
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

impl StoreSink {
    pub(crate) fn new(
        store: Arc<dyn ObjectStore>,
        path: Path,
        chunk_bytes: usize,
        max_concurrency: usize,
    ) -> Self {
        StoreSink {
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

pub(crate) struct LocalSink {
    target: std::path::PathBuf,
    staging: std::path::PathBuf,
    /// Taken while a write runs on the blocking pool.
    file: Option<std::fs::File>,
    pending: Vec<Bytes>,
    pending_len: usize,
}

impl LocalSink {
    /// Creates the staging file next to `target` (and the directories above it).
    pub(crate) fn create(target: std::path::PathBuf) -> Result<Self> {
        let name = target
            .file_name()
            .ok_or_else(|| Error::InvalidInput(format!("`{}` names no file", target.display())))?;
        let mut staging_name = name.to_os_string();
        staging_name.push(".lancer-partial");
        let staging = target.with_file_name(staging_name);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staging)?;
        Ok(LocalSink {
            target,
            staging,
            file: Some(file),
            pending: Vec::new(),
            pending_len: 0,
        })
    }

    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        self.pending_len += chunk.len();
        self.pending.push(chunk);
        if self.pending_len >= LOCAL_BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let chunks = std::mem::take(&mut self.pending);
        self.pending_len = 0;
        let mut file = self
            .file
            .take()
            .ok_or_else(|| Error::InvalidInput("an earlier write to this file failed".into()))?;
        // The chunks are dropped on the blocking thread as soon as they are written.
        let (file, result) = tokio::task::spawn_blocking(move || {
            let result = chunks.iter().try_for_each(|chunk| file.write_all(chunk));
            (file, result)
        })
        .await
        .map_err(|e| Error::InvalidInput(format!("a local write did not complete: {e}")))?;
        result?;
        self.file = Some(file);
        Ok(())
    }

    async fn finish(mut self) -> Result<()> {
        self.flush().await?;
        drop(self.file.take());
        std::fs::rename(&self.staging, &self.target)?;
        Ok(())
    }

    async fn abort(self) -> Result<()> {
        drop(self.file);
        match std::fs::remove_file(&self.staging) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}
