//! Connections to the receiver: a connected UDP socket (one datagram per message), TCP
//! with RFC 6587 octet counting, and TLS (RFC 5425) over TCP with rustls (ring provider).

use super::message::octet_counted;
use super::{SyslogConfig, TlsSettings, Transport};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A TLS setup problem: which file, and why.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("config key `{key}`: cannot load {path}: {message}")]
    File {
        key: &'static str,
        path: std::path::PathBuf,
        message: String,
    },
    #[error("config key `syslog.tls.server_name`: `{0}` is not a valid DNS name or IP address")]
    ServerName(String),
    #[error("TLS client setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// What a connection needs to open: the checked TLS client config when the URL is tls://.
#[derive(Clone)]
pub struct Connector {
    transport: Transport,
    host: String,
    port: u16,
    tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    /// Bounds a connect or a write to a receiver that stopped reading.
    timeout: Duration,
}

fn file_error(key: &'static str, path: &std::path::Path, e: impl ToString) -> TlsSetupError {
    TlsSetupError::File {
        key,
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Loads the CA, the optional client certificate and key, and checks the server name.
pub fn tls_client_config(
    t: &TlsSettings,
) -> Result<(Arc<ClientConfig>, ServerName<'static>), TlsSetupError> {
    let mut roots = RootCertStore::empty();
    let cas = CertificateDer::pem_file_iter(&t.ca_file)
        .map_err(|e| file_error("syslog.tls.ca_file", &t.ca_file, e))?;
    for ca in cas {
        let ca = ca.map_err(|e| file_error("syslog.tls.ca_file", &t.ca_file, e))?;
        roots
            .add(ca)
            .map_err(|e| file_error("syslog.tls.ca_file", &t.ca_file, e))?;
    }
    if roots.is_empty() {
        return Err(file_error(
            "syslog.tls.ca_file",
            &t.ca_file,
            "no certificate in the file",
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let config = match (&t.cert_file, &t.key_file) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| file_error("syslog.tls.cert_file", cert, e))?;
            if chain.is_empty() {
                return Err(file_error(
                    "syslog.tls.cert_file",
                    cert,
                    "no certificate in the file",
                ));
            }
            let key_der = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| file_error("syslog.tls.key_file", key, e))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| file_error("syslog.tls.key_file", key, e))?
        }
        _ => builder.with_no_client_auth(),
    };
    let name = ServerName::try_from(t.server_name.clone())
        .map_err(|_| TlsSetupError::ServerName(t.server_name.clone()))?;
    Ok((Arc::new(config), name))
}

impl Connector {
    pub fn new(c: &SyslogConfig, timeout: Duration) -> Result<Self, TlsSetupError> {
        let tls = c.tls.as_ref().map(tls_client_config).transpose()?;
        Ok(Connector {
            transport: c.url.transport,
            host: c.url.host.clone(),
            port: c.url.port,
            tls,
            timeout,
        })
    }

    /// Resolves the host again on every connect (the receiver's address may change).
    fn addrs(&self) -> io::Result<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = (self.host.as_str(), self.port).to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} resolves to no address", self.host),
            ));
        }
        Ok(addrs)
    }

    /// Connects within the timeout, all addresses and the TLS handshake together, and
    /// never past `limit` (the end of the drain at exit, when the run is already
    /// closing; a connect that began before is bounded by the timeout alone).
    pub fn connect(&self, limit: Option<Instant>) -> io::Result<Connection> {
        let end = Instant::now() + self.timeout;
        let end = limit.map_or(end, |l| l.min(end));
        // What is left of the time, or a timeout error once it is spent.
        let left = || {
            let d = end.saturating_duration_since(Instant::now());
            if d.is_zero() {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connect timed out (or the drain at exit ended)",
                ))
            } else {
                Ok(d)
            }
        };
        let addrs = self.addrs()?;
        if self.transport == Transport::Udp {
            // `addrs` is never empty: `addrs()` returns an error instead.
            let Some(&addr) = addrs.first() else {
                return Err(io::Error::from(io::ErrorKind::NotFound));
            };
            let bind: SocketAddr = if addr.is_ipv4() {
                ([0, 0, 0, 0], 0).into()
            } else {
                ([0u16; 8], 0).into()
            };
            let sock = UdpSocket::bind(bind)?;
            sock.connect(addr)?;
            return Ok(Connection::Udp(sock));
        }
        let mut last = None;
        let mut stream = None;
        for a in &addrs {
            let budget = match left() {
                Ok(d) => d,
                Err(e) => {
                    last = Some(e);
                    break;
                }
            };
            match TcpStream::connect_timeout(a, budget) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let sock = match stream {
            Some(s) => s,
            None => return Err(last.unwrap_or_else(|| io::ErrorKind::NotConnected.into())),
        };
        sock.set_nodelay(true)?;
        match &self.tls {
            None => {
                sock.set_write_timeout(Some(WRITE_SLICE))?;
                Ok(Connection::Tcp {
                    sock,
                    timeout: self.timeout,
                })
            }
            Some((config, name)) => {
                let conn = ClientConnection::new(Arc::clone(config), name.clone())
                    .map_err(io::Error::other)?;
                let mut tls = StreamOwned::new(conn, sock);
                // Handshake now, so a certificate problem shows at connect, not at a write;
                // every step within what is left of the budget.
                while tls.conn.is_handshaking() {
                    let d = left()?;
                    tls.sock.set_read_timeout(Some(d))?;
                    tls.sock.set_write_timeout(Some(d))?;
                    tls.conn.complete_io(&mut tls.sock)?;
                }
                tls.sock.set_write_timeout(Some(WRITE_SLICE))?;
                tls.sock.set_read_timeout(Some(self.timeout))?;
                Ok(Connection::Tls {
                    stream: Box::new(tls),
                    timeout: self.timeout,
                })
            }
        }
    }
}

/// How long one blocked `write` waits before the sender looks at the clock again: a
/// receiver that stopped reading holds a write at most the connect/write timeout, and
/// the drain at exit no longer than it has left.
const WRITE_SLICE: Duration = Duration::from_millis(100);

/// An open connection to the receiver. TCP and TLS sockets block for at most
/// [`WRITE_SLICE`] at a time; `timeout` bounds a whole message.
pub enum Connection {
    Udp(UdpSocket),
    Tcp {
        sock: TcpStream,
        timeout: Duration,
    },
    Tls {
        stream: Box<StreamOwned<ClientConnection, TcpStream>>,
        timeout: Duration,
    },
}

impl Connection {
    /// Sends one message, framed for the transport; `scratch` is a reused buffer. A
    /// blocked write gives up after the timeout, or at once when `give_up()` says so
    /// (checked every [`WRITE_SLICE`]); the connection is then unusable (part of a frame
    /// may have gone out) and the caller drops it.
    pub fn send(
        &mut self,
        msg: &[u8],
        scratch: &mut Vec<u8>,
        give_up: &dyn Fn() -> bool,
    ) -> io::Result<()> {
        let start = Instant::now();
        // Checked whenever a write waited or took only part: a receiver that reads
        // slowly holds a message no longer than one that does not read at all.
        let time_up = |timeout: Duration| {
            if start.elapsed() >= timeout || give_up() {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "write timed out (or the drain at exit ended)",
                ))
            } else {
                Ok(())
            }
        };
        let waiting = |e: &io::Error| {
            matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
            )
        };
        match self {
            Connection::Udp(s) => s.send(msg).map(|_| ()),
            Connection::Tcp { sock, timeout } => {
                scratch.clear();
                octet_counted(msg, scratch);
                let mut rest = scratch.as_slice();
                while !rest.is_empty() {
                    match sock.write(rest) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => rest = rest.get(n..).unwrap_or_default(),
                        Err(e) if waiting(&e) => {}
                        Err(e) => return Err(e),
                    }
                    if !rest.is_empty() {
                        time_up(*timeout)?;
                    }
                }
                Ok(())
            }
            Connection::Tls { stream, timeout } => {
                scratch.clear();
                octet_counted(msg, scratch);
                // Into TLS records in memory (as much as rustls's buffer takes), then out
                // to the socket as it takes them.
                let mut rest = scratch.as_slice();
                while !rest.is_empty() || stream.conn.wants_write() {
                    if !rest.is_empty() {
                        let n = stream.conn.writer().write(rest)?;
                        if n == 0 && !stream.conn.wants_write() {
                            return Err(io::ErrorKind::WriteZero.into());
                        }
                        rest = rest.get(n..).unwrap_or_default();
                    }
                    if stream.conn.wants_write() {
                        match stream.conn.write_tls(&mut stream.sock) {
                            Ok(_) => {}
                            Err(e) if waiting(&e) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    if !rest.is_empty() || stream.conn.wants_write() {
                        time_up(*timeout)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// True when the receiver closed the connection (or reset it) while we were idle:
    /// checked before a write, so a receiver that restarted does not swallow a message
    /// into a dead socket. A syslog receiver never sends application data.
    pub fn peer_closed(&mut self) -> bool {
        match self {
            Connection::Udp(_) => false,
            Connection::Tcp { sock, .. } => peek(sock) == Peek::Closed,
            Connection::Tls { stream: t, .. } => {
                // Most of the time nothing has come in: one syscall says so.
                match peek(&t.sock) {
                    Peek::Idle => return false,
                    Peek::Closed => return true,
                    Peek::Data => {}
                }
                if t.sock.set_nonblocking(true).is_err() {
                    return true;
                }
                // Session tickets and alerts arrive here; read and process what is there.
                let mut closed = loop {
                    match t.conn.read_tls(&mut t.sock) {
                        Ok(0) => break true,
                        Ok(_) => {
                            if t.conn.process_new_packets().is_err() {
                                break true;
                            }
                        }
                        Err(e) => break e.kind() != io::ErrorKind::WouldBlock,
                    }
                };
                let mut sink = [0u8; 256];
                // Plaintext from a syslog receiver is unexpected; drop it.
                while let Ok(n) = t.conn.reader().read(&mut sink) {
                    if n == 0 {
                        closed = true;
                        break;
                    }
                }
                t.sock.set_nonblocking(false).is_err() || closed
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Peek {
    /// Nothing to read: the connection is open as far as we can tell.
    Idle,
    /// Bytes wait to be read.
    Data,
    /// The receiver closed (end of stream) or the socket failed.
    Closed,
}

/// What one non-blocking `recv(MSG_PEEK)` finds, without changing the socket's mode.
fn peek(sock: &TcpStream) -> Peek {
    let mut b = [0u8; 1];
    match rustix::net::recv(
        sock,
        &mut b,
        rustix::net::RecvFlags::PEEK | rustix::net::RecvFlags::DONTWAIT,
    ) {
        Ok((_, 0)) => Peek::Closed,
        Ok(_) => Peek::Data,
        Err(rustix::io::Errno::AGAIN | rustix::io::Errno::INTR) => Peek::Idle,
        Err(_) => Peek::Closed,
    }
}
