//! TLS over rustls against a real server with a certificate from a test CA.

use std::path::Path;
use std::process::Command;

use warroom::demo::{Cluster, DemoError};

fn openssl(dir: &Path, args: &[&str]) -> std::io::Result<()> {
    let ok = Command::new("openssl").args(args).current_dir(dir).output()?.status.success();
    if ok { Ok(()) } else { Err(std::io::Error::other(format!("openssl {args:?} failed"))) }
}

/// A CA, and a server certificate for `localhost` signed by it, in `dir`.
fn make_certs(dir: &Path) -> std::io::Result<()> {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
    )?;
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    )?;
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost\n")?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.crt",
            "-extfile",
            "ext.cnf",
        ],
    )?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("server.key"), std::fs::Permissions::from_mode(0o600))?;
    if warroom::demo::is_root() {
        Command::new("chown").args(["-R", "postgres:"]).arg(dir).status()?;
    }
    Ok(())
}

fn query(dsn: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["query", "--csv", "--dsn", dsn, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"])
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn sslmodes_check_what_libpq_checks() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("SKIPPING the TLS test: openssl is not installed");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // Later options win: TCP on a free port, with TLS; file names are relative to data/.
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=../server.crt -c ssl_key_file=../server.key"
    );
    let cluster = match Cluster::start_with(&options, make_certs) {
        Ok(mut c) => {
            c.port = port;
            c
        }
        Err(DemoError::NotInstalled) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("SKIPPING the TLS test: PostgreSQL is not installed");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let base = cluster.base.display().to_string();
    let tcp = |host: &str, extra: &str| {
        format!("host={host} hostaddr=127.0.0.1 port={port} user=postgres dbname=postgres {extra}")
    };
    let ca = format!("sslrootcert={base}/ca.crt");

    for extra in ["sslmode=require".to_string(), format!("sslmode=verify-full {ca}"), format!("sslmode=verify-ca {ca}")]
    {
        let (code, out, err) = query(&tcp("localhost", &extra));
        assert_eq!((code, out.as_str()), (Some(0), "ssl\nt\n"), "{extra}: {err}");
    }
    let (_, out, _) = query(&tcp("localhost", "sslmode=disable"));
    assert_eq!(out, "ssl\nf\n");
    // verify-ca checks the chain only; verify-full the host name too.
    let (code, _, err) = query(&tcp("other-name", &format!("sslmode=verify-ca {ca}")));
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = query(&tcp("other-name", &format!("sslmode=verify-full {ca}")));
    assert_eq!(code, Some(3));
    assert!(err.contains("not valid for name"), "{err}");
    // A server certificate from another CA is refused.
    let (code, _, err) = query(&tcp("localhost", &format!("sslmode=verify-full sslrootcert={base}/server.crt")));
    assert_eq!(code, Some(3));
    assert!(err.contains("UnknownIssuer"), "{err}");
    // Verification without a root certificate says what to do.
    let (code, _, err) = query(&tcp("localhost", "sslmode=verify-full"));
    assert_eq!(code, Some(3));
    assert!(err.contains("sslrootcert"), "{err}");
}
