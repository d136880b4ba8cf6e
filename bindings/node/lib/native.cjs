'use strict';
// The one place the napi-generated loader is required; everything else goes through here.
module.exports = require('../native/index.js');
