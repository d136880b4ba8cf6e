//! Python objects <-> `serde_json::Value`, so that JSON documents cross the boundary as Python
//! objects instead of JSON text (no `json.dumps` before a call, no `json.loads` after it).
//!
//! The accepted Python types are exactly those `json.dumps` accepts (with `allow_nan=False`):
//! `dict` with `str` keys, `list` and `tuple`, `str`, `int`, `float` (finite), `bool`, `None`,
//! and their subclasses. Anything else is refused with a message, like `json.dumps` does. Both
//! directions are recursive and stop at [`MAX_DEPTH`] levels with a clean error, so a deeply
//! nested (or self-containing) input can never overflow the stack.
//!
//! Why not `pythonize`: its releases follow PyO3's, and none supports PyO3 0.30 yet.

use kavach_core::Error;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Nesting levels accepted in either direction: `serde_json`'s own parsing limit, far above any
/// WebAuthn document (a response is 3 levels deep).
pub(crate) const MAX_DEPTH: usize = 128;

/// A Python object as a JSON value; `what` names the argument in the error message
/// (`INVALID_REQUEST`, like malformed JSON text).
pub(crate) fn to_value(obj: &Bound<'_, PyAny>, what: &str) -> Result<Value, Error> {
    value_of(obj, 0).map_err(|reason| Error::invalid_request(format!("{what} is not JSON-serializable: {reason}")))
}

/// A JSON value as Python objects (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`).
pub(crate) fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    python_of(py, value, 0)
}

fn value_of(obj: &Bound<'_, PyAny>, depth: usize) -> Result<Value, String> {
    if depth >= MAX_DEPTH {
        return Err(format!("nested deeper than {MAX_DEPTH} levels"));
    }
    // The most frequent types first: strings and dicts make up nearly all of a WebAuthn response.
    if let Ok(text) = obj.cast::<PyString>() {
        return Ok(Value::String(text.to_cow().map_err(|err| err.to_string())?.into_owned()));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, item) in dict.iter() {
            let key = key.cast::<PyString>().map_err(|_| "keys must be strings".to_owned())?;
            let key = key.to_cow().map_err(|err| err.to_string())?.into_owned();
            map.insert(key, value_of(&item, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // `bool` before `int`: it is a subclass of `int`.
    if let Ok(flag) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(n) = obj.extract::<i64>() {
            return Ok(Value::from(n));
        }
        return obj.extract::<u64>().map(Value::from).map_err(|_| "integer out of range".to_owned());
    }
    if let Ok(float) = obj.cast::<PyFloat>() {
        return Number::from_f64(float.value())
            .map(Value::Number)
            .ok_or_else(|| "NaN and infinity are not JSON".to_owned());
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list.iter().map(|item| value_of(&item, depth + 1)).collect::<Result<_, _>>().map(Value::Array);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return tuple.iter().map(|item| value_of(&item, depth + 1)).collect::<Result<_, _>>().map(Value::Array);
    }
    let type_name = obj.get_type().name().map(|name| name.to_string()).unwrap_or_else(|_| "?".to_owned());
    Err(format!("object of type {type_name} is not JSON serializable"))
}

fn python_of<'py>(py: Python<'py>, value: &Value, depth: usize) -> PyResult<Bound<'py, PyAny>> {
    if depth >= MAX_DEPTH {
        // Values come from the core, which builds them or parses them with the same limit.
        return Err(pyo3::exceptions::PyValueError::new_err(format!("result nested deeper than {MAX_DEPTH} levels")));
    }
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(flag) => PyBool::new(py, *flag).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(n) = n.as_i64() {
                n.into_pyobject(py)?.into_any()
            } else if let Some(n) = n.as_u64() {
                n.into_pyobject(py)?.into_any()
            } else {
                // Without `arbitrary_precision`, a number that is not an integer is an `f64`.
                n.as_f64().unwrap_or_default().into_pyobject(py)?.into_any()
            }
        }
        Value::String(text) => PyString::new(py, text).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(python_of(py, item, depth + 1)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(PyString::new(py, key), python_of(py, item, depth + 1)?)?;
            }
            dict.into_any()
        }
    })
}
