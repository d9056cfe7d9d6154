//! A Vellum server running in-process on 127.0.0.1:0 over a temporary data directory, shared by
//! the server_* integration tests.

#![allow(dead_code)]

use std::thread::JoinHandle;

use tokio::sync::oneshot;
use vellum::Database;

pub struct TestServer {
    pub port: u16,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    pub fn start() -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut server = TestServer::start_at(dir.path());
        server._dir = Some(dir);
        server
    }

    /// A server over an existing data directory that outlives it.
    pub fn start_at(path: &std::path::Path) -> TestServer {
        TestServer::start_configured(path, vellum::server::ServerConfig::default(), |_| {})
    }

    /// A server over a fresh directory with `config`, after `setup` ran on its database.
    pub fn start_with(config: vellum::server::ServerConfig, setup: impl FnOnce(&Database)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut server = TestServer::start_configured(dir.path(), config, setup);
        server._dir = Some(dir);
        server
    }

    fn start_configured(
        path: &std::path::Path,
        config: vellum::server::ServerConfig,
        setup: impl FnOnce(&Database),
    ) -> TestServer {
        let db = Database::open(path).expect("open database");
        setup(&db);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                vellum::server::run_with(
                    db,
                    listener,
                    async {
                        let _ = stopped.await;
                    },
                    config,
                )
                .await
                .expect("server run");
            });
        });
        TestServer {
            port,
            stop: Some(stop),
            thread: Some(thread),
            _dir: None,
        }
    }

    pub fn conninfo(&self) -> String {
        format!("host=127.0.0.1 port={} user=vellum dbname=vellum", self.port)
    }

    /// A connected tokio-postgres client; its connection task runs on the caller's runtime.
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.conninfo(), tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    /// Stops the server and waits until it has synced and exited.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("server thread");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}
