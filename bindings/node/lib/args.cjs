'use strict';
// Argument translation: JS values into the strings and bytes the native layer takes. A value of
// the wrong type is the caller's mistake (INVALID_REQUEST); what a value *means* is the core's
// business, so nothing here checks content.

const { kavachError } = require('./errors.cjs');

function string(value, name) {
  if (typeof value !== 'string') {
    throw kavachError('INVALID_REQUEST', `${name} must be a string`);
  }
  return value;
}

function optionalString(value, name) {
  return value === undefined || value === null ? null : string(value, name);
}

function boolean(value, name) {
  if (typeof value !== 'boolean') {
    throw kavachError('INVALID_REQUEST', `${name} must be a boolean`);
  }
  return value;
}

/** A JSON body: an object is serialized, a string is passed as the JSON text it is. */
function json(value, name, code = 'INVALID_REQUEST') {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '{}';
  if (typeof value !== 'object') {
    throw kavachError(code, `${name} must be an object or a JSON string`);
  }
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw kavachError(code, `${name} cannot be serialized as JSON: ${err.message}`);
  }
}

/** Raw body bytes from a Buffer, typed array, ArrayBuffer, string, object (as JSON) or nothing. */
function bytes(value, name) {
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return value;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.from(json(value, name), 'utf8');
}

/**
 * Headers as flat `name, value` pairs, from a Fetch `Headers`, an array of `[name, value]`
 * pairs, or a Node-style object whose values may be arrays.
 */
function headerPairs(headers) {
  const flat = [];
  const push = (name, value) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      for (const one of value) flat.push(String(name), String(one));
    } else {
      flat.push(String(name), String(value));
    }
  };
  if (headers === undefined || headers === null) return flat;
  if (typeof headers.forEach === 'function' && typeof headers.get === 'function') {
    headers.forEach((value, name) => push(name, value));
  } else if (Array.isArray(headers)) {
    for (const pair of headers) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw kavachError('INVALID_REQUEST', 'headers must be [name, value] pairs');
      }
      push(pair[0], pair[1]);
    }
  } else if (typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) push(name, value);
  } else {
    throw kavachError('INVALID_REQUEST', 'headers must be an object, an array of pairs or Headers');
  }
  return flat;
}

/** Flat native header pairs back into `[name, value]` tuples. */
function tuples(flat) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

module.exports = { string, optionalString, boolean, json, bytes, headerPairs, tuples };
