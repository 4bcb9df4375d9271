//! Encoding a manifest in what its commit changed, not in the size of the table.
//!
//! A manifest lists every fragment, and each commit writes a new manifest. Most commits
//! leave most fragments as they were, so the bytes those fragments had in the manifest file
//! a version was decoded from are kept beside it; encoding a version built from that one
//! copies the bytes of every fragment still equal to its decoded original and encodes only
//! the others. The result is the same bytes a full encode gives for manifests lancer wrote
//! (the property tests hold them equal); for files another writer made, unchanged fragments
//! keep that writer's exact bytes, fields lancer does not model included.

use std::ops::Range;
use std::sync::Arc;

use prost::Message;

use crate::error::{Error, Result};
use crate::fragment::Fragment;
use crate::wire;

/// Manifest field holding the fragments.
const FRAGMENTS_TAG: u32 = 2;

/// The fragments of one manifest file as decoded and as encoded there.
struct EncodedFragments {
    /// The fragments decoded from the file (shared with the manifest decoded from it).
    decoded: Arc<Vec<Fragment>>,
    /// Each fragment's field (key, length and message), back to back.
    bytes: Vec<u8>,
    /// Where each fragment's field starts in `bytes`, and one more entry for the end.
    starts: Vec<usize>,
}

impl EncodedFragments {
    fn field(&self, index: usize) -> &[u8] {
        &self.bytes[self.starts[index]..self.starts[index + 1]]
    }
}

/// A cache, not content: two manifests are equal whatever their caches hold, and a
/// manifest without one encodes the same bytes (more slowly).
#[derive(Clone, Default)]
pub(crate) struct EncodedCache(Option<Arc<EncodedFragments>>);

impl PartialEq for EncodedCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for EncodedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("EncodedCache(none)"),
            Some(cache) => write!(
                f,
                "EncodedCache({} fragments, {} bytes)",
                cache.decoded.len(),
                cache.bytes.len()
            ),
        }
    }
}

/// A manifest message taken apart: its fragments' fields, and the bytes of all the others.
pub(crate) struct SplitMessage {
    /// Every field but the fragments, in order: a `Manifest` message without fragments.
    pub(crate) rest: Vec<u8>,
    /// The fragments' fields.
    pub(crate) fragments: Vec<wire::Field>,
}

impl SplitMessage {
    pub(crate) fn of(message: &[u8]) -> Result<SplitMessage> {
        let mut rest = Vec::new();
        let mut fragments = Vec::new();
        let mut wrong_type = None;
        wire::for_each_field(message, |field| {
            if field.tag != FRAGMENTS_TAG {
                rest.extend_from_slice(&message[field.range]);
            } else if field.wire_type == wire::LENGTH_DELIMITED {
                fragments.push(field);
            } else {
                wrong_type = Some(field.wire_type);
            }
        })?;
        if let Some(wire_type) = wrong_type {
            return Err(Error::corrupt(format!(
                "manifest fragment field of wire type {wire_type} (a message is 2)"
            )));
        }
        Ok(SplitMessage { rest, fragments })
    }

    /// Decodes the fragments straight into their final list (a million fragments never
    /// exist twice, as protobuf messages and as fragments). A large list is decoded in
    /// parallel slices on threads of this call's own, which join before it returns.
    pub(crate) fn decode_fragments(&self, message: &[u8]) -> Result<Vec<Fragment>> {
        let fields = self.fragments.as_slice();
        // (Asking for the parallelism reads cgroup files: only worth it for large lists.)
        let threads = match fields.len() / PARALLEL_MIN_FRAGMENTS {
            0 | 1 => 1,
            most => std::thread::available_parallelism().map_or(1, |n| n.get().min(most)),
        };
        let slice = fields.len().div_ceil(threads);
        if threads == 1 {
            return decode_into(message, fields, Vec::with_capacity(fields.len()));
        }
        let (first, rest) = fields.split_at(slice);
        std::thread::scope(|scope| {
            let others: Vec<_> = rest
                .chunks(slice)
                .map(|part| {
                    let decode = move || decode_into(message, part, Vec::with_capacity(part.len()));
                    // No thread to be had: that slice is decoded on this one, after the first.
                    std::thread::Builder::new()
                        .name("lancer-manifest".into())
                        .spawn_scoped(scope, decode)
                        .map_err(|_| part)
                })
                .collect();
            // The first slice decodes into the final list, the others are moved after it.
            let mut fragments = decode_into(message, first, Vec::with_capacity(fields.len()));
            for other in others {
                let decoded = match other {
                    Ok(thread) => thread.join().unwrap_or_else(|_| {
                        Err(Error::corrupt("decoding manifest fragments panicked"))
                    }),
                    Err(part) => decode_into(message, part, Vec::with_capacity(part.len())),
                };
                match (&mut fragments, decoded) {
                    (Ok(all), Ok(decoded)) => all.extend(decoded),
                    (Ok(_), Err(e)) => fragments = Err(e),
                    (Err(_), _) => {}
                }
            }
            fragments
        })
    }
}

/// Fewer fragments than this per thread are decoded on one: starting a thread costs about
/// what decoding a few hundred fragments does.
const PARALLEL_MIN_FRAGMENTS: usize = 8192;

/// Decodes the fragment fields `fields` of `message`, appending to `out`.
fn decode_into(
    message: &[u8],
    fields: &[wire::Field],
    mut out: Vec<Fragment>,
) -> Result<Vec<Fragment>> {
    for field in fields {
        let value = &message[field.value_start..field.range.end];
        let decoded = crate::proto::DataFragment::decode_length_delimited(value)?;
        out.push(Fragment::from_proto(decoded));
    }
    Ok(out)
}

impl EncodedCache {
    /// The cache of `message`, whose fragments (`split`) decoded to `decoded`.
    pub(crate) fn of(
        message: &[u8],
        split: &SplitMessage,
        decoded: &Arc<Vec<Fragment>>,
    ) -> EncodedCache {
        let fields: Vec<Range<usize>> = split.fragments.iter().map(|f| f.range.clone()).collect();
        let total = fields.iter().map(|r| r.len()).sum();
        let mut bytes = Vec::with_capacity(total);
        let mut starts = Vec::with_capacity(fields.len() + 1);
        for range in fields {
            starts.push(bytes.len());
            bytes.extend_from_slice(&message[range]);
        }
        starts.push(bytes.len());
        EncodedCache(Some(Arc::new(EncodedFragments {
            decoded: Arc::clone(decoded),
            bytes,
            starts,
        })))
    }

    /// About how many bytes the fragments take encoded (for reserving the output).
    pub(crate) fn len_hint(&self) -> usize {
        self.0.as_ref().map_or(0, |cache| cache.bytes.len())
    }

    /// Appends the fragments field of every fragment in `fragments`: copied where the
    /// cache holds an equal fragment, encoded otherwise.
    pub(crate) fn encode_fragments(&self, fragments: &Arc<Vec<Fragment>>, out: &mut Vec<u8>) {
        let Some(cache) = self.0.as_deref() else {
            for fragment in fragments.iter() {
                encode_one(fragment, out);
            }
            return;
        };
        if Arc::ptr_eq(fragments, &cache.decoded) {
            out.extend_from_slice(&cache.bytes);
            return;
        }
        // Both lists are sorted by id in every manifest lancer or pylance writes; a list
        // that is not only finds fewer fragments to copy, never a wrong one, since a copy
        // needs an equal fragment.
        let originals = cache.decoded.as_slice();
        let mut next = 0;
        for fragment in fragments.iter() {
            while next < originals.len() && originals[next].id < fragment.id {
                next += 1;
            }
            match originals.get(next) {
                Some(original) if original == fragment => {
                    out.extend_from_slice(cache.field(next));
                    next += 1;
                }
                _ => encode_one(fragment, out),
            }
        }
    }
}

fn encode_one(fragment: &Fragment, out: &mut Vec<u8>) {
    let message = fragment.to_proto();
    out.reserve(message.encoded_len() + 8);
    prost::encoding::message::encode(FRAGMENTS_TAG, &message, out);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lancer_file::FileVersion;

    use crate::fragment::{DataFile, Fragment};
    use crate::manifest::Manifest;

    fn manifest(n: u64) -> Manifest {
        let mut manifest = Manifest::empty(1);
        manifest.fragments = Arc::new(
            (0..n)
                .map(|id| Fragment {
                    id,
                    ..Fragment::new(
                        DataFile::new(
                            format!("{id}.lance"),
                            vec![0],
                            vec![0],
                            FileVersion::V2_0,
                            9,
                        ),
                        1 + id % 7,
                    )
                })
                .collect(),
        );
        manifest
    }

    #[test]
    fn large_lists_decode_in_parallel_slices_in_order() {
        let n = 3 * super::PARALLEL_MIN_FRAGMENTS as u64 + 5;
        let original = manifest(n);
        let decoded = Manifest::decode(&original.encode()).unwrap();
        assert_eq!(decoded.fragments, original.fragments);
    }

    #[test]
    fn a_bad_fragment_in_a_later_slice_is_an_error() {
        let n = 3 * super::PARALLEL_MIN_FRAGMENTS as u64;
        let mut bytes = manifest(n).encode();
        // The last fragment's path ends in `.lance`: break its UTF-8.
        let at = bytes
            .windows(6)
            .rposition(|w| w == b".lance")
            .expect("a path");
        bytes[at + 1] = 0xff;
        assert!(Manifest::decode(&bytes).is_err());
    }
}
