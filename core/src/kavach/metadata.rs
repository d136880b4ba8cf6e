//! FIDO metadata replaced at run time (DESIGN §11): `loadMetadata(blob)` verifies a MDS3 BLOB
//! against the FIDO root and, if it is acceptable, makes it the one every later registration
//! checks. Registrations in flight keep the BLOB they started with.

use std::sync::Arc;

use serde::Serialize;

use super::Kavach;
use crate::error::{Error, ErrorCode, Result};
use crate::verify::Metadata;

/// What a metadata load installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataInfo {
    /// The BLOB's serial number (`no`).
    pub number: u64,
    /// Its `nextUpdate` (YYYY-MM-DD).
    pub next_update: String,
    /// Whether it is past `nextUpdate` (loaded with a warning; refused under `stale: 'refuse'`).
    pub stale: bool,
}

impl Kavach {
    /// Verifies a FIDO MDS3 BLOB (the JWS text from <https://mds3.fidoalliance.org/>) against the
    /// FIDO root and makes it the metadata later registrations are checked against. Refused with
    /// `INVALID_REQUEST`, keeping the current BLOB: one that does not verify, one past its
    /// `nextUpdate` under `passkey.metadata.stale: 'refuse'`, and one older (a lower serial
    /// number) than the BLOB in use, which could bring back a model since revoked. A stale BLOB
    /// otherwise loads, with a warning in the log.
    pub fn load_metadata(&self, blob: &str) -> Result<MetadataInfo> {
        let metadata = Metadata::from_blob(blob.trim(), self.now()).map_err(refused)?;
        self.replace_metadata(metadata)
    }

    /// [`Kavach::load_metadata`] for a BLOB the host verified itself (tests sign their own with
    /// [`Metadata::danger_from_blob_signed_by`]): the same staleness and serial-number rules.
    pub fn replace_metadata(&self, metadata: Metadata) -> Result<MetadataInfo> {
        let now = self.now();
        let info = MetadataInfo {
            number: metadata.number,
            next_update: metadata.next_update.clone(),
            stale: metadata.is_stale(now),
        };
        let why_stale = format!(
            "passkey.metadata: the BLOB (number {}) is past its nextUpdate {}: download a current one from \
             https://mds3.fidoalliance.org/ (statuses such as REVOKED may be missing)",
            info.number, info.next_update
        );
        if info.stale && self.settings.refuse_stale_metadata {
            return Err(refused(Error::config(why_stale)));
        }
        let mut current = self.metadata.write();
        if let Some(loaded) = current.as_deref()
            && loaded.number > metadata.number
        {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                format!(
                    "passkey.metadata: the BLOB (number {}) is older than the one in use (number {}); kept the newer",
                    metadata.number, loaded.number
                ),
            ));
        }
        *current = Some(Arc::new(metadata));
        drop(current);
        if info.stale {
            crate::log::warning(&why_stale);
            self.publish(vec![crate::events::Event::new(crate::events::EventType::MetadataStale, self.now())]);
        }
        Ok(info)
    }

    /// The metadata registrations are checked against now.
    pub(crate) fn current_metadata(&self) -> Option<Arc<Metadata>> {
        self.metadata.read().clone()
    }
}

/// A metadata error as the answer to a host's call: `INVALID_REQUEST`, same message.
fn refused(error: Error) -> Error {
    Error::new(ErrorCode::InvalidRequest, error.message().to_owned())
}
