//! Deterministic random Arrow data.

use std::sync::Arc;

use arrow_array::types::*;
use arrow_array::*;
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer, i256};
use arrow_schema::{DataType, Field, Fields, TimeUnit};

/// A small, fast, seedable generator (SplitMix64); good enough for test data and stable
/// across platforms and versions, unlike an external crate's.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 1.0 < p
    }
}

/// Shape of generated data.
#[derive(Clone, Debug)]
pub struct Shape {
    /// Probability that a value of a nullable field is null.
    pub null_density: f64,
    /// Longest generated string or binary value.
    pub max_string: usize,
    /// Longest generated list.
    pub max_list: usize,
    /// Distinct values in a generated dictionary.
    pub dictionary_size: usize,
    /// Probability that a struct of a nullable field is null (Lance 2.0 cannot store null
    /// structs, so 0 by default).
    pub struct_null_density: f64,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            null_density: 0.2,
            max_string: 24,
            max_list: 5,
            dictionary_size: 7,
            struct_null_density: 0.0,
        }
    }
}

/// Random validity for `len` values (none when the field is not nullable or density is 0).
fn validity(rng: &mut Rng, len: usize, nullable: bool, shape: &Shape) -> Option<NullBuffer> {
    if !nullable || shape.null_density <= 0.0 {
        return None;
    }
    let bits: Vec<bool> = (0..len).map(|_| !rng.chance(shape.null_density)).collect();
    Some(NullBuffer::from(bits))
}

fn primitive<T: ArrowPrimitiveType>(
    rng: &mut Rng,
    len: usize,
    nulls: Option<NullBuffer>,
    data_type: &DataType,
    mut value: impl FnMut(&mut Rng) -> T::Native,
) -> ArrayRef {
    let values: Vec<T::Native> = (0..len).map(|_| value(rng)).collect();
    // Built from raw parts because the logical type (e.g. a timestamp unit) may differ from
    // the native type's default.
    let data = arrow_data::ArrayDataBuilder::new(data_type.clone())
        .len(len)
        .add_buffer(Buffer::from_vec(values))
        .nulls(nulls)
        .build()
        .expect("valid primitive");
    make_array(data)
}

fn small_decimal(rng: &mut Rng, precision: u8) -> i128 {
    let digits = precision.min(18) as u32;
    let bound = 10i128.pow(digits);
    (rng.next_u64() as i128 % bound) * if rng.chance(0.5) { -1 } else { 1 }
}

fn string_bytes(rng: &mut Rng, shape: &Shape, text: bool) -> Vec<u8> {
    let len = rng.below(shape.max_string as u64 + 1) as usize;
    if text {
        const ALPHABET: &[&str] = &["a", "b", "c", "x", "Z", "0", " ", "é", "ß", "✓", "日"];
        let mut out = String::new();
        while out.len() < len {
            out.push_str(ALPHABET[rng.below(ALPHABET.len() as u64) as usize]);
        }
        out.into_bytes()
    } else {
        (0..len).map(|_| rng.next_u64() as u8).collect()
    }
}

fn variable<O: OffsetSizeTrait>(
    rng: &mut Rng,
    len: usize,
    nulls: Option<NullBuffer>,
    shape: &Shape,
    text: bool,
) -> ArrayRef {
    let mut offsets = vec![O::usize_as(0)];
    let mut bytes = Vec::new();
    for i in 0..len {
        if nulls.as_ref().is_none_or(|n| n.is_valid(i)) {
            bytes.extend(string_bytes(rng, shape, text));
        }
        offsets.push(O::usize_as(bytes.len()));
    }
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    if text {
        Arc::new(GenericStringArray::<O>::new(
            offsets,
            Buffer::from_vec(bytes),
            nulls,
        ))
    } else {
        Arc::new(GenericBinaryArray::<O>::new(
            offsets,
            Buffer::from_vec(bytes),
            nulls,
        ))
    }
}

fn list<O: OffsetSizeTrait>(
    rng: &mut Rng,
    item: &Arc<Field>,
    len: usize,
    nulls: Option<NullBuffer>,
    shape: &Shape,
) -> ArrayRef {
    let mut offsets = vec![O::usize_as(0)];
    let mut total = 0usize;
    for i in 0..len {
        let null = nulls.as_ref().is_some_and(|n| n.is_null(i));
        // Null lists usually span no items, but Arrow allows them to, so sometimes they do.
        let n = if null && rng.chance(0.7) {
            0
        } else {
            rng.below(shape.max_list as u64 + 1) as usize
        };
        total += n;
        offsets.push(O::usize_as(total));
    }
    let values = random_array(rng, item, total, shape);
    Arc::new(GenericListArray::<O>::new(
        item.clone(),
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        values,
        nulls,
    ))
}

/// A random array of `len` values for `field` (its type and nullability).
pub fn random_array(rng: &mut Rng, field: &Field, len: usize, shape: &Shape) -> ArrayRef {
    let data_type = field.data_type();
    let nulls = if matches!(data_type, DataType::Struct(_) | DataType::Null) {
        None
    } else {
        validity(rng, len, field.is_nullable(), shape)
    };
    use DataType::*;
    match data_type {
        Null => Arc::new(NullArray::new(len)),
        Boolean => {
            let bits: Vec<bool> = (0..len).map(|_| rng.chance(0.5)).collect();
            Arc::new(BooleanArray::new(BooleanBuffer::from(bits), nulls))
        }
        Int8 => primitive::<Int8Type>(rng, len, nulls, data_type, |r| r.next_u64() as i8),
        Int16 => primitive::<Int16Type>(rng, len, nulls, data_type, |r| r.next_u64() as i16),
        Int32 => primitive::<Int32Type>(rng, len, nulls, data_type, |r| r.next_u64() as i32),
        Int64 => primitive::<Int64Type>(rng, len, nulls, data_type, |r| r.next_u64() as i64),
        UInt8 => primitive::<UInt8Type>(rng, len, nulls, data_type, |r| r.next_u64() as u8),
        UInt16 => primitive::<UInt16Type>(rng, len, nulls, data_type, |r| r.next_u64() as u16),
        UInt32 => primitive::<UInt32Type>(rng, len, nulls, data_type, |r| r.next_u64() as u32),
        UInt64 => primitive::<UInt64Type>(rng, len, nulls, data_type, |r| r.next_u64()),
        Float16 => primitive::<Float16Type>(rng, len, nulls, data_type, |r| {
            half::f16::from_f32((r.below(20000) as f32 - 10000.0) / 8.0)
        }),
        Float32 => primitive::<Float32Type>(rng, len, nulls, data_type, |r| {
            (r.next_u64() as i32) as f32 / 1024.0
        }),
        Float64 => primitive::<Float64Type>(rng, len, nulls, data_type, |r| {
            (r.next_u64() as i64) as f64 / 1e6
        }),
        Date32 => primitive::<Date32Type>(rng, len, nulls, data_type, |r| {
            r.below(40000) as i32 - 10000
        }),
        Date64 => primitive::<Date64Type>(rng, len, nulls, data_type, |r| {
            (r.below(40000) as i64 - 10000) * 86_400_000
        }),
        Time32(TimeUnit::Second) => {
            primitive::<Time32SecondType>(rng, len, nulls, data_type, |r| r.below(86_400) as i32)
        }
        Time32(_) => primitive::<Time32MillisecondType>(rng, len, nulls, data_type, |r| {
            r.below(86_400_000) as i32
        }),
        Time64(TimeUnit::Microsecond) => {
            primitive::<Time64MicrosecondType>(rng, len, nulls, data_type, |r| {
                r.below(86_400_000_000) as i64
            })
        }
        Time64(_) => primitive::<Time64NanosecondType>(rng, len, nulls, data_type, |r| {
            r.below(86_400_000_000_000) as i64
        }),
        Timestamp(_, _) => primitive::<TimestampMicrosecondType>(rng, len, nulls, data_type, |r| {
            r.below(1 << 50) as i64
        }),
        Duration(_) => primitive::<DurationNanosecondType>(rng, len, nulls, data_type, |r| {
            r.next_u64() as i64 >> 8
        }),
        Decimal128(p, _) => {
            let p = *p;
            primitive::<Decimal128Type>(rng, len, nulls, data_type, move |r| small_decimal(r, p))
        }
        Decimal256(p, _) => {
            let p = *p;
            primitive::<Decimal256Type>(rng, len, nulls, data_type, move |r| {
                i256::from_i128(small_decimal(r, p))
            })
        }
        FixedSizeBinary(width) => {
            let width = *width as usize;
            let bytes: Vec<u8> = (0..len * width).map(|_| rng.next_u64() as u8).collect();
            Arc::new(FixedSizeBinaryArray::new(
                width as i32,
                Buffer::from_vec(bytes),
                nulls,
            ))
        }
        Utf8 => variable::<i32>(rng, len, nulls, shape, true),
        LargeUtf8 => variable::<i64>(rng, len, nulls, shape, true),
        Binary => variable::<i32>(rng, len, nulls, shape, false),
        LargeBinary => variable::<i64>(rng, len, nulls, shape, false),
        FixedSizeList(item, size) => {
            let values = random_array(rng, item, len * *size as usize, shape);
            Arc::new(FixedSizeListArray::new(item.clone(), *size, values, nulls))
        }
        List(item) => list::<i32>(rng, item, len, nulls, shape),
        LargeList(item) => list::<i64>(rng, item, len, nulls, shape),
        Struct(fields) => {
            let children: Vec<ArrayRef> = fields
                .iter()
                .map(|f| random_array(rng, f, len, shape))
                .collect();
            let struct_shape = Shape {
                null_density: shape.struct_null_density,
                ..shape.clone()
            };
            let nulls = validity(rng, len, field.is_nullable(), &struct_shape);
            Arc::new(
                StructArray::try_new_with_length(fields.clone(), children, nulls, len)
                    .expect("valid struct"),
            )
        }
        Map(entries, sorted) => {
            let DataType::Struct(kv) = entries.data_type() else {
                panic!("random_array: map entries must be a struct")
            };
            let mut offsets = vec![0i32];
            for i in 0..len {
                let n = if nulls.as_ref().is_some_and(|v| v.is_null(i)) {
                    0
                } else {
                    rng.below(shape.max_list as u64 + 1) as i32
                };
                offsets.push(offsets[i] + n);
            }
            let total = offsets[len] as usize;
            let keys = random_array(
                rng,
                &kv[0],
                total,
                &Shape {
                    null_density: 0.0,
                    ..shape.clone()
                },
            );
            let values = random_array(rng, &kv[1], total, shape);
            let entries_array =
                StructArray::try_new(kv.clone(), vec![keys, values], None).expect("valid entries");
            Arc::new(
                arrow_array::MapArray::try_new(
                    entries.clone(),
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    entries_array,
                    nulls,
                    *sorted,
                )
                .expect("valid map"),
            )
        }
        Dictionary(_, value) => {
            let values_field = Field::new("values", value.as_ref().clone(), false);
            let values = random_array(rng, &values_field, shape.dictionary_size.max(1), shape);
            let n = values.len() as u64;
            let keys: Int32Array = (0..len)
                .map(|i| {
                    nulls
                        .as_ref()
                        .is_none_or(|v| v.is_valid(i))
                        .then(|| rng.below(n) as i32)
                })
                .collect();
            let dictionary =
                DictionaryArray::<Int32Type>::try_new(keys, values).expect("valid dictionary");
            arrow_cast::cast(&dictionary, data_type).expect("dictionary key cast")
        }
        other => panic!("random_array: unsupported type {other}"),
    }
}

/// A random batch of `rows` rows for `fields`.
pub fn random_batch(seed: u64, fields: &[Field], rows: usize, shape: &Shape) -> RecordBatch {
    let mut rng = Rng::new(seed);
    let columns = fields
        .iter()
        .map(|f| random_array(&mut rng, f, rows, shape))
        .collect();
    let schema = Arc::new(arrow_schema::Schema::new(fields.to_vec()));
    RecordBatch::try_new_with_options(
        schema,
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .expect("valid batch")
}

/// The item field lancer and pylance use for lists and vectors.
pub fn item(data_type: DataType) -> Arc<Field> {
    Arc::new(Field::new("item", data_type, true))
}

/// One field of every type a Lance 2.0 file stores, named after its type.
pub fn every_type() -> Vec<Field> {
    use DataType::*;
    let f = |name: &str, t: DataType| Field::new(name, t, true);
    let point = Fields::from(vec![
        Field::new("x", Int32, true),
        Field::new("y", Utf8, true),
    ]);
    vec![
        f("int8", Int8),
        f("int16", Int16),
        f("int32", Int32),
        f("int64", Int64),
        f("uint8", UInt8),
        f("uint16", UInt16),
        f("uint32", UInt32),
        f("uint64", UInt64),
        f("float16", Float16),
        f("float32", Float32),
        f("float64", Float64),
        f("bool", Boolean),
        f("utf8", Utf8),
        f("large_utf8", LargeUtf8),
        f("binary", Binary),
        f("large_binary", LargeBinary),
        f("fixed_size_binary", FixedSizeBinary(5)),
        f("vector_f32", FixedSizeList(item(Float32), 16)),
        f("vector_f16", FixedSizeList(item(Float16), 8)),
        f("vector_u8", FixedSizeList(item(UInt8), 32)),
        f(
            "vector_of_vectors",
            FixedSizeList(item(FixedSizeList(item(Int8), 2)), 3),
        ),
        f("list_int32", List(item(Int32))),
        f("large_list_utf8", LargeList(item(Utf8))),
        f("list_of_structs", List(item(Struct(point.clone())))),
        f("list_of_lists", List(item(List(item(Int64))))),
        f("struct", Struct(point.clone())),
        f(
            "nested_struct",
            Struct(Fields::from(vec![
                Field::new(
                    "inner",
                    Struct(Fields::from(vec![Field::new("b", Int64, true)])),
                    true,
                ),
                Field::new("d", List(item(Int16)), true),
                Field::new("v", FixedSizeList(item(Float32), 2), true),
            ])),
        ),
        f("date32", Date32),
        f("date64", Date64),
        f("ts_s", Timestamp(TimeUnit::Second, None)),
        f("ts_ms", Timestamp(TimeUnit::Millisecond, None)),
        f(
            "ts_us_utc",
            Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ),
        f(
            "ts_ns_ny",
            Timestamp(TimeUnit::Nanosecond, Some("America/New_York".into())),
        ),
        f("time32_s", Time32(TimeUnit::Second)),
        f("time32_ms", Time32(TimeUnit::Millisecond)),
        f("time64_us", Time64(TimeUnit::Microsecond)),
        f("time64_ns", Time64(TimeUnit::Nanosecond)),
        f("duration_s", Duration(TimeUnit::Second)),
        f("duration_ns", Duration(TimeUnit::Nanosecond)),
        f("decimal128", Decimal128(20, 4)),
        f("decimal256", Decimal256(50, 10)),
        f("dict_utf8", Dictionary(Box::new(Int32), Box::new(Utf8))),
        f(
            "dict_int8_keys",
            Dictionary(Box::new(Int8), Box::new(LargeUtf8)),
        ),
        f(
            "dict_int64_values",
            Dictionary(Box::new(UInt16), Box::new(Int64)),
        ),
        f("null", Null),
        Field::new("required_int", Int64, false),
        Field::new("required_utf8", Utf8, false),
    ]
}
