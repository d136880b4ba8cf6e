//! The well-known documents of DESIGN §9, which browsers and phones fetch from
//! `https://<rpId>/.well-known/...`: Related Origin Requests (`webauthn`), Android's Digital Asset
//! Links (`assetlinks.json`) and Apple's `apple-app-site-association`.
//!
//! The router answers them at the site root when kavach is mounted there (and the option that
//! fills the document is set); for every other topology the host serves what these methods return,
//! merging its own entries (App Links, Universal Links), which kavach never replaces.

use serde_json::{Value, json};

use super::Kavach;
use crate::config::{APPLE_APP_SITE_ASSOCIATION_PATH, ASSET_LINKS_PATH, WEBAUTHN_PATH};
use crate::error::{Error, Result};

/// The Digital Asset Links relation that lets an Android app use this site's passkeys.
const GET_LOGIN_CREDS: &str = "delegate_permission/common.get_login_creds";

impl Kavach {
    /// `GET /.well-known/webauthn`: `{"origins": [...]}`, every web origin whose pages may use
    /// this RP ID (`passkey.origin` and `passkey.relatedOrigins`).
    pub fn well_known_webauthn(&self) -> Value {
        let origins: Vec<&str> =
            self.settings.origins.iter().filter(|o| o.host().is_some()).map(|o| o.as_str()).collect();
        json!({ "origins": origins })
    }

    /// `GET /.well-known/assetlinks.json`: a `get_login_creds` statement per Android app of
    /// `passkey.apps.android`, after the host's own statements (`extra`, a JSON array, e.g. App
    /// Links' `handle_all_urls`), which are kept as given.
    pub fn asset_links(&self, extra: Option<&Value>) -> Result<Value> {
        let mut statements = match extra {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => return Err(Error::invalid_request("assetLinks extra must be a JSON array of statements")),
        };
        for app in &self.settings.platform.android {
            let statement = json!({
                "relation": [GET_LOGIN_CREDS],
                "target": {
                    "namespace": "android_app",
                    "package_name": app.package,
                    "sha256_cert_fingerprints": app.fingerprints,
                },
            });
            if !statements.contains(&statement) {
                statements.push(statement);
            }
        }
        Ok(Value::Array(statements))
    }

    /// `GET /.well-known/apple-app-site-association`: `webcredentials.apps` lists each app of
    /// `passkey.apps.ios` as `TEAMID.bundle.id`, added to the host's own document (`extra`, a
    /// JSON object: its `applinks`, `appclips` and its own `webcredentials` apps are kept).
    pub fn apple_app_site_association(&self, extra: Option<&Value>) -> Result<Value> {
        let not_object = || Error::invalid_request("appleAppSiteAssociation extra must be a JSON object");
        let mut document = match extra {
            None | Some(Value::Null) => serde_json::Map::new(),
            Some(Value::Object(object)) => object.clone(),
            Some(_) => return Err(not_object()),
        };
        let credentials = document.entry("webcredentials").or_insert_with(|| json!({}));
        let credentials = credentials.as_object_mut().ok_or_else(not_object)?;
        let apps = credentials.entry("apps").or_insert_with(|| json!([]));
        let apps = apps.as_array_mut().ok_or_else(|| Error::invalid_request("webcredentials.apps must be a list"))?;
        for app in &self.settings.platform.ios {
            let id = Value::String(app.app_id.clone());
            if !apps.contains(&id) {
                apps.push(id);
            }
        }
        Ok(Value::Object(document))
    }

    /// The document the router serves at `path` (from the site root), if kavach has one there:
    /// only for the options that fill it, so a site's own files are never shadowed otherwise.
    pub(crate) fn well_known_document(&self, path: &str) -> Option<Result<Value>> {
        if !self.settings.serves_well_known(path) {
            return None;
        }
        match path.split(['?', '#']).next().unwrap_or_default() {
            WEBAUTHN_PATH => Some(Ok(self.well_known_webauthn())),
            ASSET_LINKS_PATH => Some(self.asset_links(None)),
            APPLE_APP_SITE_ASSOCIATION_PATH => Some(self.apple_app_site_association(None)),
            _ => None,
        }
    }
}
