//! The raw parameters of the attested credential's COSE_Key, for comparing it with a key
//! that an attestation statement names in another encoding (a certificate, a TPM pubArea).
//! The key itself has already been validated by `cose::CredentialPublicKey`.

use ciborium::value::{Integer, Value};

/// kty, crv and the coordinate / modulus parameters of a COSE_Key.
pub(super) struct CoseKeyParams {
    kty: Option<i64>,
    crv: Option<i64>,
    /// -1 for RSA (n), -2 (x or e), -3 (y).
    n: Option<Vec<u8>>,
    x_or_e: Option<Vec<u8>>,
    y: Option<Vec<u8>>,
}

impl CoseKeyParams {
    pub(super) fn parse(cose: &[u8]) -> Option<Self> {
        let value: Value = ciborium::de::from_reader(cose).ok()?;
        let map = value.into_map().ok()?;
        let param = |label: i64| map.iter().find(|(k, _)| k.as_integer() == Some(Integer::from(label))).map(|(_, v)| v);
        let int = |label: i64| param(label).and_then(Value::as_integer).and_then(|i| i64::try_from(i).ok());
        let bytes = |label: i64| param(label).and_then(Value::as_bytes).cloned();
        Some(Self { kty: int(1), crv: int(-1), n: bytes(-1), x_or_e: bytes(-2), y: bytes(-3) })
    }

    /// EC2 keys: the curve's OID and the uncompressed point `04 || x || y`.
    pub(super) fn ec_point(&self) -> Option<(&'static str, Vec<u8>)> {
        if self.kty != Some(2) {
            return None;
        }
        let curve = match self.crv? {
            1 => "1.2.840.10045.3.1.7",
            2 => "1.3.132.0.34",
            3 => "1.3.132.0.35",
            _ => return None,
        };
        let (x, y) = (self.x_or_e.as_ref()?, self.y.as_ref()?);
        let mut point = Vec::with_capacity(1 + x.len() + y.len());
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        Some((curve, point))
    }

    /// EC2 keys: the COSE curve id and the coordinates.
    pub(super) fn ec_coordinates(&self) -> Option<(i64, &[u8], &[u8])> {
        (self.kty == Some(2)).then_some(())?;
        Some((self.crv?, self.x_or_e.as_deref()?, self.y.as_deref()?))
    }

    /// RSA keys: (n, e) as big-endian bytes.
    pub(super) fn rsa(&self) -> Option<(&[u8], &[u8])> {
        (self.kty == Some(3)).then_some(())?;
        Some((self.n.as_deref()?, self.x_or_e.as_deref()?))
    }

    /// OKP keys: x.
    pub(super) fn okp_x(&self) -> Option<&[u8]> {
        (self.kty == Some(1)).then_some(())?;
        self.x_or_e.as_deref()
    }
}
