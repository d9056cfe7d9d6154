//! Array SQL functions: `array_append`, `array_cat`, `array_remove`, `array_position`,
//! `array_length`/`array_upper`/`array_lower`/`array_ndims`/`array_dims`, `cardinality`,
//! `array_to_string` and `string_to_array`.
//!
//! Arrays are `Value::Array` of elements, nested for more dimensions, always indexed from 1.

use super::functions::{arg, int_arg, text_arg, ScalarFunc};
use super::quote::display;
use super::Value;
use crate::error::{Error, Result};

fn array_len(items: &[Value], dim: i64) -> Option<i32> {
    if items.is_empty() {
        return None;
    }
    match dim {
        1 => Some(items.len() as i32),
        d if d > 1 => match items.first() {
            Some(Value::Array(inner)) => array_len(inner, d - 1),
            _ => None,
        },
        _ => None,
    }
}

fn cardinality(items: &[Value]) -> usize {
    items
        .iter()
        .map(|i| {
            if let Value::Array(inner) = i {
                cardinality(inner)
            } else {
                1
            }
        })
        .sum()
}

fn flatten_to_text(items: &[Value], null_as: Option<&str>, out: &mut Vec<String>) {
    for item in items {
        match item {
            Value::Array(inner) => flatten_to_text(inner, null_as, out),
            Value::Null => {
                if let Some(n) = null_as {
                    out.push(n.to_string());
                }
            }
            other => out.push(display(other)),
        }
    }
}

fn ndims(items: &[Value]) -> i32 {
    match items.first() {
        Some(Value::Array(inner)) => 1 + ndims(inner),
        _ => 1,
    }
}

/// `array_dims`: `[1:3]`, `[1:2][1:2]`.
fn dims(items: &[Value]) -> String {
    let mut out = format!("[1:{}]", items.len());
    if let Some(Value::Array(inner)) = items.first() {
        out.push_str(&dims(inner));
    }
    out
}

/// Evaluates an array function; `None` when `func` is not one.
pub(super) fn call(func: ScalarFunc, args: &[Value]) -> Result<Option<Value>> {
    use ScalarFunc as S;
    use Value::*;
    let t = |i| text_arg(args, i);
    Ok(Some(match func {
        S::ArrayAppend => match arg(args, 0)? {
            Array(items) => Array(
                items
                    .iter()
                    .cloned()
                    .chain(std::iter::once(arg(args, 1)?.clone()))
                    .collect(),
            ),
            _ => Array(vec![arg(args, 1)?.clone()]),
        },
        S::ArrayPrepend => match arg(args, 1)? {
            Array(items) => Array(
                std::iter::once(arg(args, 0)?.clone())
                    .chain(items.iter().cloned())
                    .collect(),
            ),
            _ => Array(vec![arg(args, 0)?.clone()]),
        },
        S::ArrayCat => match (arg(args, 0)?, arg(args, 1)?) {
            (Array(a), Array(b)) => Array(a.iter().chain(b).cloned().collect()),
            (Array(a), _) => Array(a.clone()),
            (_, Array(b)) => Array(b.clone()),
            _ => Null,
        },
        S::ArrayRemove => match arg(args, 0)? {
            // IS NOT DISTINCT FROM: removing NULL removes the NULL elements.
            Array(items) => {
                let target = arg(args, 1)?;
                Array(items.iter().filter(|i| *i != target).cloned().collect())
            }
            _ => Null,
        },
        S::ArrayPosition => match arg(args, 0)? {
            Array(items) => {
                let target = arg(args, 1)?;
                items
                    .iter()
                    .position(|i| i == target)
                    .map(|p| Int4(p as i32 + 1))
                    .unwrap_or(Null)
            }
            _ => Null,
        },
        S::ArrayUpper | S::ArrayLength => match arg(args, 0)? {
            Array(items) => array_len(items, int_arg(args, 1)?).map(Int4).unwrap_or(Null),
            _ => Null,
        },
        S::ArrayLower => match arg(args, 0)? {
            Array(items) => array_len(items, int_arg(args, 1)?).map(|_| Int4(1)).unwrap_or(Null),
            _ => Null,
        },
        S::ArrayNdims => match arg(args, 0)? {
            Array(items) if !items.is_empty() => Int4(ndims(items)),
            _ => Null,
        },
        S::ArrayDims => match arg(args, 0)? {
            Array(items) if !items.is_empty() => Text(dims(items)),
            _ => Null,
        },
        S::StringToArray => {
            let s = match arg(args, 0)? {
                Null => return Ok(Some(Null)),
                _ => t(0)?,
            };
            let null_str = match args.get(2) {
                Some(Text(n)) => Some(n.as_str()),
                _ => None,
            };
            let to_value = |p: &str| if Some(p) == null_str { Null } else { Text(p.to_string()) };
            if s.is_empty() {
                Array(Vec::new())
            } else {
                match arg(args, 1)? {
                    Null => Array(s.chars().map(|c| to_value(&c.to_string())).collect()),
                    Text(d) if d.is_empty() => Array(vec![to_value(s)]),
                    Text(d) => Array(s.split(d.as_str()).map(to_value).collect()),
                    _ => return Err(Error::bug("string_to_array delimiter is not text")),
                }
            }
        }
        S::ArrayToString => match (arg(args, 0)?, arg(args, 1)?) {
            (Array(items), Text(delim)) => {
                let null_as = match args.get(2) {
                    Some(Text(n)) => Some(n.as_str()),
                    _ => None,
                };
                let mut parts = Vec::new();
                flatten_to_text(items, null_as, &mut parts);
                Text(parts.join(delim))
            }
            _ => Null,
        },
        S::Cardinality => match arg(args, 0)? {
            Array(items) => Int4(cardinality(items) as i32),
            _ => Null,
        },
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Text(v.into())
    }

    fn run(func: ScalarFunc, args: &[Value]) -> Value {
        call(func, args).unwrap().unwrap()
    }

    fn ints(v: &[i32]) -> Value {
        Value::Array(v.iter().map(|i| Value::Int4(*i)).collect())
    }

    #[test]
    fn text_conversions_and_lengths() {
        let a = run(ScalarFunc::StringToArray, &[s("a,b,,c"), s(","), s("")]);
        assert_eq!(a, Value::Array(vec![s("a"), s("b"), Value::Null, s("c")]));
        assert_eq!(
            run(ScalarFunc::StringToArray, &[s("abc"), Value::Null]),
            Value::Array(vec![s("a"), s("b"), s("c")])
        );
        let arr = Value::Array(vec![Value::Int4(1), Value::Null, Value::Int4(3)]);
        assert_eq!(run(ScalarFunc::ArrayToString, &[arr.clone(), s(",")]), s("1,3"));
        assert_eq!(
            run(ScalarFunc::ArrayToString, &[arr.clone(), s(","), s("*")]),
            s("1,*,3")
        );
        assert_eq!(
            run(ScalarFunc::ArrayLength, &[arr.clone(), Value::Int4(1)]),
            Value::Int4(3)
        );
        assert_eq!(
            run(ScalarFunc::ArrayLength, &[Value::Array(vec![]), Value::Int4(1)]),
            Value::Null
        );
        assert_eq!(run(ScalarFunc::Cardinality, &[arr]), Value::Int4(3));
    }

    #[test]
    fn building_and_searching() {
        // select array_append(array[1,2],3), array_append(NULL::int[], 1), array_prepend(0, array[1]),
        //        array_cat(array[1], array[2,3]), array_remove(array[1,2,1,NULL], 1),
        //        array_remove(array[1,NULL], NULL), array_position(array['a','b'], 'b'),
        //        array_position(array[1,NULL], NULL), array_upper(array[1,2,3],1), array_lower(array[1,2],1),
        //        array_ndims(array[[1,2],[3,4]]), array_dims(array[[1,2],[3,4]]), array_upper('{}'::int[], 1)
        use Value::{Int4, Null};
        assert_eq!(
            run(ScalarFunc::ArrayAppend, &[ints(&[1, 2]), Int4(3)]),
            ints(&[1, 2, 3])
        );
        assert_eq!(run(ScalarFunc::ArrayAppend, &[Null, Int4(1)]), ints(&[1]));
        assert_eq!(run(ScalarFunc::ArrayPrepend, &[Int4(0), ints(&[1])]), ints(&[0, 1]));
        assert_eq!(
            run(ScalarFunc::ArrayCat, &[ints(&[1]), ints(&[2, 3])]),
            ints(&[1, 2, 3])
        );
        let with_null = Value::Array(vec![Int4(1), Int4(2), Int4(1), Null]);
        assert_eq!(
            run(ScalarFunc::ArrayRemove, &[with_null, Int4(1)]),
            Value::Array(vec![Int4(2), Null])
        );
        assert_eq!(
            run(ScalarFunc::ArrayRemove, &[Value::Array(vec![Int4(1), Null]), Null]),
            ints(&[1])
        );
        assert_eq!(
            run(ScalarFunc::ArrayPosition, &[Value::Array(vec![s("a"), s("b")]), s("b")]),
            Int4(2)
        );
        assert_eq!(
            run(ScalarFunc::ArrayPosition, &[Value::Array(vec![Int4(1), Null]), Null]),
            Int4(2)
        );
        assert_eq!(run(ScalarFunc::ArrayUpper, &[ints(&[1, 2, 3]), Int4(1)]), Int4(3));
        assert_eq!(run(ScalarFunc::ArrayLower, &[ints(&[1, 2]), Int4(1)]), Int4(1));
        let square = Value::Array(vec![ints(&[1, 2]), ints(&[3, 4])]);
        assert_eq!(run(ScalarFunc::ArrayNdims, std::slice::from_ref(&square)), Int4(2));
        assert_eq!(run(ScalarFunc::ArrayDims, &[square]), s("[1:2][1:2]"));
        assert_eq!(run(ScalarFunc::ArrayDims, &[ints(&[1, 2, 3])]), s("[1:3]"));
        assert_eq!(run(ScalarFunc::ArrayUpper, &[ints(&[]), Int4(1)]), Null);
    }
}
