//! Lance logical type strings (`int32`, `timestamp:us:UTC`, `fixed_size_list:float:128`, ...).
//!
//! A logical type names a field's Arrow type without its children; struct, list and map
//! fields get their children from the schema's child fields.

use arrow_schema::{DataType, Field, Fields, TimeUnit};
use std::sync::Arc;

use crate::error::{Error, Result};

fn unit_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Second => "s",
        TimeUnit::Millisecond => "ms",
        TimeUnit::Microsecond => "us",
        TimeUnit::Nanosecond => "ns",
    }
}

fn parse_unit(text: &str, logical: &str) -> Result<TimeUnit> {
    Ok(match text {
        "s" => TimeUnit::Second,
        "ms" => TimeUnit::Millisecond,
        "us" => TimeUnit::Microsecond,
        "ns" => TimeUnit::Nanosecond,
        _ => return Err(bad(logical, "unknown time unit")),
    })
}

fn bad(logical: &str, why: &str) -> Error {
    Error::Schema(format!("logical type `{logical}`: {why}"))
}

/// The logical type string of an Arrow type, as pylance writes it.
pub fn logical_type_of(data_type: &DataType) -> Result<String> {
    use DataType::*;
    Ok(match data_type {
        Null => "null".into(),
        Boolean => "bool".into(),
        Int8 => "int8".into(),
        UInt8 => "uint8".into(),
        Int16 => "int16".into(),
        UInt16 => "uint16".into(),
        Int32 => "int32".into(),
        UInt32 => "uint32".into(),
        Int64 => "int64".into(),
        UInt64 => "uint64".into(),
        Float16 => "halffloat".into(),
        Float32 => "float".into(),
        Float64 => "double".into(),
        Utf8 => "string".into(),
        LargeUtf8 => "large_string".into(),
        Binary => "binary".into(),
        // pylance 14 names views `string`/`binary` but cannot write them into 2.0 files;
        // refusing here gives the caller a clear message instead of a type mismatch later.
        Utf8View | BinaryView => {
            return Err(Error::Schema(format!(
                "Arrow type {data_type} (a view type) cannot be stored in Lance 2.0 files; cast it to utf8 or binary first"
            )));
        }
        LargeBinary => "large_binary".into(),
        FixedSizeBinary(n) => format!("fixed_size_binary:{n}"),
        Date32 => "date32:day".into(),
        Date64 => "date64:ms".into(),
        Time32(unit) => format!("time32:{}", unit_name(*unit)),
        Time64(unit) => format!("time64:{}", unit_name(*unit)),
        Timestamp(unit, tz) => format!(
            "timestamp:{}:{}",
            unit_name(*unit),
            tz.as_deref().unwrap_or("-")
        ),
        Duration(unit) => format!("duration:{}", unit_name(*unit)),
        Decimal128(p, s) => format!("decimal:128:{p}:{s}"),
        Decimal256(p, s) => format!("decimal:256:{p}:{s}"),
        Struct(_) => "struct".into(),
        List(item) => {
            if matches!(item.data_type(), Struct(_)) {
                "list.struct".into()
            } else {
                "list".into()
            }
        }
        LargeList(item) => {
            if matches!(item.data_type(), Struct(_)) {
                "large_list.struct".into()
            } else {
                "large_list".into()
            }
        }
        FixedSizeList(item, n) => {
            format!("fixed_size_list:{}:{n}", logical_type_of(item.data_type())?)
        }
        Dictionary(key, value) => format!(
            "dict:{}:{}:false",
            logical_type_of(value)?,
            logical_type_of(key)?
        ),
        Map(_, false) => "map".into(),
        other => {
            return Err(Error::Schema(format!(
                "Arrow type {other} has no Lance logical type"
            )));
        }
    })
}

/// Whether values of this logical type are built from child fields.
pub(crate) fn has_child_fields(logical: &str) -> bool {
    match logical {
        "struct" | "list" | "list.struct" | "large_list" | "large_list.struct" | "map" => true,
        other => other
            .strip_prefix("fixed_size_list:struct:")
            .is_some_and(|size| !size.is_empty() && size.bytes().all(|b| b.is_ascii_digit())),
    }
}

/// The Arrow type of a logical type; `children` are the field's child fields, already
/// converted to Arrow (needed for struct, list, map and fixed-size lists of structs).
pub fn arrow_type_of(logical: &str, children: &[Field]) -> Result<DataType> {
    use DataType::*;
    // Nested fixed-size lists recurse once per level; a bound keeps hostile strings from
    // exhausting the stack.
    if logical.len() > 1024 {
        let head: String = logical.chars().take(64).collect();
        return Err(bad(&head, "logical type string too long"));
    }
    let simple = match logical {
        "null" => Some(Null),
        "bool" => Some(Boolean),
        "int8" => Some(Int8),
        "uint8" => Some(UInt8),
        "int16" => Some(Int16),
        "uint16" => Some(UInt16),
        "int32" => Some(Int32),
        "uint32" => Some(UInt32),
        "int64" => Some(Int64),
        "uint64" => Some(UInt64),
        "halffloat" => Some(Float16),
        "float" => Some(Float32),
        "double" => Some(Float64),
        "string" => Some(Utf8),
        "large_string" => Some(LargeUtf8),
        "binary" => Some(Binary),
        "large_binary" | "json" => Some(LargeBinary),
        "date32:day" => Some(Date32),
        "date64:ms" => Some(Date64),
        _ => None,
    };
    if let Some(t) = simple {
        return Ok(t);
    }
    let one_child = || -> Result<Arc<Field>> {
        match children {
            [child] => Ok(Arc::new(child.clone())),
            _ => Err(bad(
                logical,
                &format!("expects one child field, found {}", children.len()),
            )),
        }
    };
    match logical {
        "struct" => return Ok(Struct(Fields::from(children.to_vec()))),
        "list" | "list.struct" => return Ok(List(one_child()?)),
        "large_list" | "large_list.struct" => return Ok(LargeList(one_child()?)),
        "map" => return Ok(Map(one_child()?, false)),
        _ => {}
    }
    let (head, rest) = logical
        .split_once(':')
        .ok_or_else(|| bad(logical, "unknown type"))?;
    match head {
        "time32" | "time64" | "duration" => {
            let unit = parse_unit(rest, logical)?;
            match (head, unit) {
                ("time32", TimeUnit::Second | TimeUnit::Millisecond) => Ok(Time32(unit)),
                ("time64", TimeUnit::Microsecond | TimeUnit::Nanosecond) => Ok(Time64(unit)),
                ("duration", _) => Ok(Duration(unit)),
                _ => Err(bad(logical, "time unit does not fit the type")),
            }
        }
        "timestamp" => {
            // The time zone may itself contain ':' ("+05:30"), so split only once more.
            let (unit, tz) = rest
                .split_once(':')
                .ok_or_else(|| bad(logical, "missing time zone"))?;
            let tz = (tz != "-").then(|| Arc::<str>::from(tz));
            Ok(Timestamp(parse_unit(unit, logical)?, tz))
        }
        "fixed_size_binary" => Ok(FixedSizeBinary(parse_size(rest, logical)?)),
        "decimal" => {
            let parts: Vec<&str> = rest.split(':').collect();
            let [bits, precision, scale] = parts.as_slice() else {
                return Err(bad(logical, "expected decimal:BITS:PRECISION:SCALE"));
            };
            let precision: u8 = precision
                .parse()
                .map_err(|_| bad(logical, "bad precision"))?;
            let scale: i8 = scale.parse().map_err(|_| bad(logical, "bad scale"))?;
            match *bits {
                "128" => Ok(Decimal128(precision, scale)),
                "256" => Ok(Decimal256(precision, scale)),
                _ => Err(bad(logical, "only 128- and 256-bit decimals exist")),
            }
        }
        "fixed_size_list" => {
            // fixed_size_list:{item}:{n}; the item may itself contain ':'.
            let (item, size) = rest
                .rsplit_once(':')
                .ok_or_else(|| bad(logical, "missing size"))?;
            let size = parse_size(size, logical)?;
            let item_field = if item == "struct" {
                one_child()?
            } else {
                Arc::new(Field::new("item", arrow_type_of(item, &[])?, true))
            };
            Ok(FixedSizeList(item_field, size))
        }
        "dict" => {
            let parts: Vec<&str> = rest.rsplitn(3, ':').collect();
            // rsplitn yields [ordered, key, value...] from the right.
            let [_ordered, key, value] = parts.as_slice() else {
                return Err(bad(logical, "expected dict:VALUE:KEY:ORDERED"));
            };
            let key = arrow_type_of(key, &[])?;
            if !key.is_dictionary_key_type() {
                return Err(bad(logical, "dictionary keys must be integers"));
            }
            Ok(Dictionary(
                Box::new(key),
                Box::new(arrow_type_of(value, &[])?),
            ))
        }
        _ => Err(bad(logical, "unknown type")),
    }
}

fn parse_size(text: &str, logical: &str) -> Result<i32> {
    match text.parse::<i32>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(bad(logical, "bad size")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data_type: DataType) {
        let logical = logical_type_of(&data_type).unwrap();
        let children: Vec<Field> = match &data_type {
            DataType::Struct(f) => f.iter().map(|f| f.as_ref().clone()).collect(),
            DataType::List(f) | DataType::LargeList(f) | DataType::Map(f, _) => {
                vec![f.as_ref().clone()]
            }
            _ => vec![],
        };
        assert_eq!(
            arrow_type_of(&logical, &children).unwrap(),
            data_type,
            "{logical}"
        );
    }

    #[test]
    fn every_logical_type_round_trips() {
        use DataType::*;
        let item = |t| Arc::new(Field::new("item", t, true));
        for t in [
            Null,
            Boolean,
            Int8,
            UInt8,
            Int16,
            UInt16,
            Int32,
            UInt32,
            Int64,
            UInt64,
            Float16,
            Float32,
            Float64,
            Utf8,
            LargeUtf8,
            Binary,
            LargeBinary,
            FixedSizeBinary(3),
            Date32,
            Date64,
            Time32(TimeUnit::Second),
            Time32(TimeUnit::Millisecond),
            Time64(TimeUnit::Microsecond),
            Time64(TimeUnit::Nanosecond),
            Duration(TimeUnit::Nanosecond),
            Timestamp(TimeUnit::Second, None),
            Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Timestamp(TimeUnit::Nanosecond, Some("+05:30".into())),
            Decimal128(10, 2),
            Decimal256(40, -3),
            FixedSizeList(item(Float32), 128),
            FixedSizeList(item(FixedSizeList(item(Int8), 2)), 3),
            List(item(Int32)),
            LargeList(item(Utf8)),
            Dictionary(Box::new(Int16), Box::new(Utf8)),
            Struct(Fields::from(vec![Field::new("x", Int32, false)])),
        ] {
            round_trip(t);
        }
    }

    #[test]
    fn strings_match_pylance() {
        use DataType::*;
        let item = |t| Arc::new(Field::new("item", t, true));
        assert_eq!(
            logical_type_of(&Dictionary(Box::new(Int32), Box::new(Utf8))).unwrap(),
            "dict:string:int32:false"
        );
        assert_eq!(
            logical_type_of(&FixedSizeList(item(FixedSizeList(item(Int8), 2)), 3)).unwrap(),
            "fixed_size_list:fixed_size_list:int8:2:3"
        );
        assert_eq!(
            logical_type_of(&Timestamp(TimeUnit::Second, None)).unwrap(),
            "timestamp:s:-"
        );
        assert_eq!(
            logical_type_of(&List(item(Struct(Fields::empty())))).unwrap(),
            "list.struct"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "",
            ":",
            "decimal:128",
            "fixed_size_list:float:-1",
            "dict::",
            "timestamp:xs:-",
            "time32:ns",
            "list",
            "fixed_size_list:",
            "fixed_size_list:struct:2",
            "dict:string:float:false",
        ] {
            assert!(arrow_type_of(text, &[]).is_err(), "{text}");
        }
    }
}
