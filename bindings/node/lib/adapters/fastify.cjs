'use strict';
// Fastify 4/5 plugin: `fastify.register(kavach.fastify())`. Every method on basePath and below
// goes to the core; the plugin only translates the request (method, path, every header, the raw
// body, the socket's peer) and the response (status, headers with each Set-Cookie kept, body).
//
// The plugin is encapsulated (no `fastify-plugin` skip-override): its catch-all content-type
// parser, which hands the core the raw bytes instead of Fastify's parsed JSON, applies to
// kavach's routes only, never to the host's.

const { fromNative } = require('../errors.cjs');
const { readStream } = require('./body.cjs');
const { headerList } = require('./express.cjs');

const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/** At most 64 KiB + 1 bytes: an oversized body still reaches the core, which answers 413. */
function rawBody(request, payload, done) {
  readStream(payload).then(
    (bytes) => done(null, bytes),
    (err) => done(err),
  );
}

/** The root-level documents of docs/http.md ("At the site root"). */
const WELL_KNOWN_PATHS = [
  '/.well-known/webauthn',
  '/.well-known/assetlinks.json',
  '/.well-known/apple-app-site-association',
];

function fastifyPlugin(native) {
  const basePath = native.basePath;
  const base = basePath.replace(/\/+$/, '');

  async function kavachRoute(request, reply) {
    const raw = request.raw;
    // The URL as it arrived (query string included): the core matches it against basePath.
    const url = raw.url;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    // The socket's peer, never `request.ip` (Fastify's trustProxy): the core derives the client
    // key from it, the X-Forwarded-For header and `trustedProxies` (DESIGN §11).
    const peer = raw.socket?.remoteAddress;
    let out;
    try {
      out = await native.handle(raw.method, url, headerList(raw.headers), body, typeof peer === 'string' ? peer : null);
    } catch (err) {
      const error = fromNative(err);
      const status = Number.isInteger(error?.status) ? error.status : 500;
      request.log.error(err);
      return reply
        .code(status)
        .header('content-type', 'application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(JSON.stringify({ error: 'internal error', code: 'INTERNAL', status }));
    }
    reply.code(out.status);
    const headers = out.headers;
    // Fastify appends a repeated `set-cookie` (each one stays its own header field, next to a
    // cookie a hook of the host set); every other name replaces.
    for (let i = 0; i + 1 < headers.length; i += 2) reply.header(headers[i], headers[i + 1]);
    return reply.send(out.body);
  }

  function kavachFastify(instance, opts, done) {
    if (instance.prefix) {
      done(
        new Error(
          `kavach.fastify(): register it without a prefix (got ${JSON.stringify(instance.prefix)}): ` +
            `its routes live under basePath (${basePath}); set basePath in createKavach instead`,
        ),
      );
      return;
    }
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', rawBody);
    const route = { method: METHODS, handler: kavachRoute };
    instance.route({ ...route, url: base || '/' });
    instance.route({ ...route, url: `${base}/*` });
    // The well-known documents kavach serves at the site root (relatedOrigins, apps), and only
    // those: a site's own files there are never shadowed.
    for (const path of WELL_KNOWN_PATHS) {
      if (native.handlesPath(path)) instance.route({ ...route, url: path });
    }
    done();
  }
  return kavachFastify;
}

module.exports = { fastifyPlugin };
