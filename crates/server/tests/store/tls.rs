//! PostgreSQL over TLS, on a cluster of its own that serves a certificate from a test CA: the
//! connection is encrypted and verified (chain and host name) when the URL asks for it or the
//! host is off this machine, refused when the certificate cannot be trusted, and in the clear
//! to a loopback host by default.

use fyd_server::config::Secret;
use fyd_server::store::PgStore;
use fyd_test_support::postgres::{Cluster, TestDatabase};
use fyd_test_support::tls::TestCa;
use tokio_postgres::NoTls;

/// How many of `application`'s connections to the cluster at `server` are encrypted, of how many.
async fn encrypted_connections(server: &str, application: &str) -> (i64, i64) {
    let (client, connection) = tokio_postgres::connect(server, NoTls).await.expect("the cluster answers");
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = $1",
            &[&application],
        )
        .await
        .expect("pg_stat_ssl reads");
    (row.get(0), row.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_encrypted_and_verified_as_the_url_asks() {
    let Some(cluster) = Cluster::start() else {
        assert!(std::env::var_os("CI").is_none(), "CI must run the PostgreSQL suites");
        return;
    };
    let ca = TestCa::new("fyd test database CA");
    let issued = ca.issue(&["localhost"]);
    cluster.serve_tls(&issued.cert_pem, &issued.key_pem);
    let database = TestDatabase::create_in(&cluster.url).await;
    let parsed = url::Url::parse(&database.url).unwrap();
    let (port, name) = (parsed.port().unwrap(), parsed.path().trim_start_matches('/').to_owned());
    let url = |host: &str, query: String| Secret::new(format!("postgres://postgres@{host}:{port}/{name}?{query}"));
    let root = format!("sslrootcert={}", ca.ca_file.display());

    // verify-full with the database's CA: every connection of the pool is encrypted.
    let store = PgStore::connect(&url("localhost", format!("sslmode=verify-full&{root}&application_name=fyd-tls")), 2)
        .await
        .expect("a verified TLS connection");
    let (encrypted, all) = encrypted_connections(&cluster.url, "fyd-tls").await;
    assert!(all >= 1 && encrypted == all, "{encrypted} of {all} connections encrypted");
    drop(store);

    // Without the CA the certificate is not trusted, and nothing falls back to the clear.
    let refused = PgStore::connect(&url("localhost", "sslmode=require&application_name=fyd-untrusted".into()), 2).await.err();
    let refused = refused.expect("an untrusted certificate is refused").to_string();
    assert!(refused.contains("invalid peer certificate: UnknownIssuer"), "{refused}");
    // The right CA, but a host name the certificate does not carry.
    let refused = PgStore::connect(&url("127.0.0.1", format!("sslmode=verify-full&{root}")), 2).await.err();
    let refused = refused.expect("a certificate for another name is refused").to_string();
    assert!(refused.contains("certificate not valid for name \"127.0.0.1\""), "{refused}");
    // A missing sslrootcert file is named.
    let refused = PgStore::connect(&url("localhost", "sslmode=require&sslrootcert=/nonexistent/ca.pem".into()), 2).await.err();
    assert!(refused.expect("a missing CA file is an error").to_string().contains("/nonexistent/ca.pem"));

    // This machine's database, with no sslmode: in the clear, as libpq's `prefer` would be
    // where the server offers nothing.
    let store = PgStore::connect(&url("localhost", "application_name=fyd-plain".into()), 2).await.expect("a plain connection");
    let (encrypted, all) = encrypted_connections(&cluster.url, "fyd-plain").await;
    assert!(all >= 1 && encrypted == 0, "{encrypted} of {all} connections encrypted");
    drop(store);
    drop(database);
}
