//! Local object-store servers for the test suite: moto (S3) and Azurite (Azure blobs),
//! installed under `target/servers`, started on free ports, stopped when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{PIP_INSTALL, root, run};

const MOTO: &[&str] = &["moto[s3]==5.2.5", "flask", "flask-cors"];
const AZURITE: &str = "azurite@3.35.0";
/// The bucket and container the tests use.
pub const BUCKET: &str = "lancer-test";

/// moto's server is multi-threaded by default and then does not serialize conditional puts;
/// this runs it single-threaded.
const MOTO_RUNNER: &str = "import sys\n\
from werkzeug.serving import run_simple\n\
from moto.server import DomainDispatcherApplication, create_backend_app\n\
run_simple('127.0.0.1', int(sys.argv[1]), DomainDispatcherApplication(create_backend_app), threaded=False)\n";

/// Running servers; dropping this stops them.
pub struct Servers {
    children: Vec<(String, Child)>,
    /// Environment variables describing the endpoints, for the test processes.
    pub env: Vec<(String, String)>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        for (name, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("xtask: stopped {name}");
        }
    }
}

fn servers_dir() -> PathBuf {
    root().join("target/servers")
}

fn install_moto() -> Result<PathBuf, String> {
    let venv = servers_dir().join("moto");
    let python = venv.join("bin/python");
    let stamp = venv.join("lancer-moto.txt");
    let wanted = MOTO.join("\n");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(python);
    }
    run(Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv))?;
    run(Command::new(&python).args(PIP_INSTALL).args(MOTO))
        .map_err(|e| format!("cannot install moto: {e}"))?;
    std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    Ok(python)
}

fn install_azurite() -> Result<PathBuf, String> {
    let prefix = servers_dir().join("azurite");
    let binary = prefix.join("node_modules/.bin/azurite-blob");
    let stamp = prefix.join("lancer-azurite.txt");
    if binary.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == AZURITE) {
        return Ok(binary);
    }
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
        .arg(&prefix)
        .arg(AZURITE))
    .map_err(|e| format!("cannot install Azurite with npm: {e}"))?;
    std::fs::write(&stamp, AZURITE).map_err(|e| e.to_string())?;
    Ok(binary)
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// One HTTP/1.1 request over a plain socket; returns the status code.
fn http(port: u16, method: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 32];
    let n = stream.read(&mut head).ok()?;
    let text = String::from_utf8_lossy(&head[..n]);
    text.split_whitespace().nth(1)?.parse().ok()
}

fn wait_until(
    name: &str,
    child: &mut Child,
    log: &Path,
    ready: impl Fn() -> bool,
) -> Result<(), String> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if ready() {
            eprintln!("xtask: {name} ready after {:?}", start.elapsed());
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("{name} exited ({status}) while starting:\n{log}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let log = std::fs::read_to_string(log).unwrap_or_default();
    Err(format!("{name} was not ready after 30 s:\n{log}"))
}

fn spawn(name: &str, command: &mut Command, log: &Path) -> Result<Child, String> {
    let file =
        std::fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    command
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {name}: {e}"))
}

/// Installs (if needed) and starts both servers, with the bucket and container created.
pub fn start() -> Result<Servers, String> {
    let python = install_moto()?;
    let azurite = install_azurite()?;
    let dir = servers_dir();
    let mut servers = Servers {
        children: Vec::new(),
        env: Vec::new(),
    };

    let s3_port = free_port()?;
    let log = dir.join("moto.log");
    let mut moto = spawn(
        "moto",
        Command::new(&python).args(["-c", MOTO_RUNNER, &s3_port.to_string()]),
        &log,
    )?;
    wait_until("moto", &mut moto, &log, || {
        http(s3_port, "GET", "/moto-api/") == Some(200)
    })?;
    servers.children.push(("moto".into(), moto));
    match http(s3_port, "PUT", &format!("/{BUCKET}")) {
        Some(200) => {}
        other => {
            return Err(format!(
                "moto did not create bucket {BUCKET} (status {other:?})"
            ));
        }
    }

    let blob_port = free_port()?;
    let log = dir.join("azurite.log");
    let mut blob = spawn(
        "azurite",
        Command::new(&azurite)
            .args([
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                &blob_port.to_string(),
            ])
            .args([
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--disableTelemetry",
                "--silent",
            ]),
        &log,
    )?;
    wait_until("azurite", &mut blob, &log, || {
        TcpStream::connect(("127.0.0.1", blob_port)).is_ok()
    })?;
    servers.children.push(("azurite".into(), blob));
    let blob_url = format!("http://127.0.0.1:{blob_port}");
    run(Command::new(&python)
        .arg(root().join("xtask/scripts/azurite_container.py"))
        .arg(format!("{blob_url}/devstoreaccount1"))
        .arg(BUCKET))?;

    servers.env = vec![
        (
            "LANCER_S3_ENDPOINT".into(),
            format!("http://127.0.0.1:{s3_port}"),
        ),
        ("LANCER_S3_BUCKET".into(), BUCKET.into()),
        ("LANCER_AZURITE_URL".into(), blob_url.clone()),
        // object_store reads the emulator's address from this variable.
        ("AZURITE_BLOB_STORAGE_URL".into(), blob_url),
        ("LANCER_AZURE_CONTAINER".into(), BUCKET.into()),
    ];
    Ok(servers)
}
