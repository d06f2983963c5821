//! TLS over rustls (ring), checking the server's certificate as libpq's `sslmode` says.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::conn::{SslMode, Target};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(
        "sslmode={0} needs a root certificate to check the server against, and none was given: set sslrootcert=FILE (or PGSSLROOTCERT), or put the CA at ~/.postgresql/root.crt"
    )]
    NoRootCert(&'static str),
    #[error("cannot read the root certificate {0}: {1}")]
    RootCert(String, String),
    #[error("TLS set-up failed: {0}")]
    Setup(String),
}

/// The connector for this target; tokio-postgres decides whether TLS is used at all.
pub fn connector(target: &Target) -> Result<MakeRustlsConnect, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?;
    let config = if target.sslmode == SslMode::VerifyFull {
        builder.with_webpki_verifier(webpki(target, provider)?).with_no_client_auth()
    } else {
        // libpq: with a root certificate present, require behaves as verify-ca.
        let check_chain =
            target.sslmode == SslMode::VerifyCa || (target.sslmode == SslMode::Require && target.sslrootcert.is_some());
        let chain = if check_chain { Some(webpki(target, provider.clone())?) } else { None };
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Relaxed { chain, provider }))
            .with_no_client_auth()
    };
    Ok(MakeRustlsConnect::new(config))
}

/// A verifier for the root certificate the target names.
fn webpki(target: &Target, provider: Arc<CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>, TlsError> {
    let path = target.sslrootcert.as_ref().ok_or(TlsError::NoRootCert(target.sslmode.name()))?;
    let bad = |e: &dyn std::fmt::Display| TlsError::RootCert(path.display().to_string(), e.to_string());
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(&e))? {
        roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
    }
    if roots.is_empty() {
        return Err(bad(&"it holds no certificate"));
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| TlsError::Setup(e.to_string()))
}

/// What libpq checks short of verify-full: with `chain`, that the certificate leads to the
/// root whatever its host name (verify-ca); without, nothing (prefer, require). Handshake
/// signatures are always checked.
#[derive(Debug)]
struct Relaxed {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Relaxed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
