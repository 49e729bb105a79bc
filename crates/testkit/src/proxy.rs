use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A TCP proxy on 127.0.0.1 that forwards every connection to a target and can
/// simulate an outage: [`cut`](TcpProxy::cut) closes every live connection and
/// turns new ones away until [`restore`](TcpProxy::restore).
///
/// While cut, the proxy keeps its port (so clients keep the same address) but
/// closes each accepted connection at once, which clients see as a refused or
/// reset connection.
pub struct TcpProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_task: JoinHandle<()>,
}

struct Shared {
    target: SocketAddr,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    cut: bool,
    connections: Vec<JoinHandle<()>>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TcpProxy {
    /// Starts a proxy on 127.0.0.1 (an ephemeral port) forwarding to `target`.
    pub async fn start(target: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap_or_else(|e| panic!("cannot bind the test TCP proxy on 127.0.0.1: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("cannot read the test TCP proxy's address: {e}"));
        let shared = Arc::new(Shared {
            target,
            state: Mutex::new(State::default()),
        });
        let accept_task = tokio::spawn(accept_loop(listener, shared.clone()));
        TcpProxy {
            addr,
            shared,
            accept_task,
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address connections are forwarded to.
    pub fn target(&self) -> SocketAddr {
        self.shared.target
    }

    /// Closes every live connection and turns new ones away. Returns once every
    /// forwarded connection is closed.
    pub async fn cut(&self) {
        let connections = {
            let mut state = self.shared.state();
            state.cut = true;
            std::mem::take(&mut state.connections)
        };
        for connection in &connections {
            connection.abort();
        }
        for connection in connections {
            let _ = connection.await;
        }
    }

    /// Accepts and forwards new connections again.
    pub fn restore(&self) {
        self.shared.state().cut = false;
    }

    /// Whether the proxy is currently cut.
    pub fn is_cut(&self) -> bool {
        self.shared.state().cut
    }

    /// How many forwarded connections are open now.
    pub fn live_connections(&self) -> usize {
        let mut state = self.shared.state();
        state.connections.retain(|c| !c.is_finished());
        state.connections.len()
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accept_task.abort();
        for connection in self.shared.state().connections.drain(..) {
            connection.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            Err(_) => {
                // Out of descriptors or a transient accept error: let it pass.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let mut state = shared.state();
        if state.cut {
            drop(client);
            continue;
        }
        state.connections.retain(|c| !c.is_finished());
        state
            .connections
            .push(tokio::spawn(forward(client, shared.target)));
    }
}

async fn forward(mut client: TcpStream, target: SocketAddr) {
    let Ok(mut server) = TcpStream::connect(target).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let _ = copy_bidirectional(&mut client, &mut server).await;
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::wait_until;

    const PATIENCE: Duration = Duration::from_secs(30);

    /// An echo server on loopback: writes back whatever it reads.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind echo");
        let addr = listener.local_addr().expect("echo addr");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut reader, mut writer) = socket.split();
                    let _ = tokio::io::copy(&mut reader, &mut writer).await;
                });
            }
        });
        addr
    }

    async fn round_trip(stream: &mut TcpStream, message: &[u8]) -> std::io::Result<Vec<u8>> {
        stream.write_all(message).await?;
        let mut reply = vec![0; message.len()];
        stream.read_exact(&mut reply).await?;
        Ok(reply)
    }

    #[tokio::test]
    async fn forwards_then_cuts_then_restores() {
        let proxy = TcpProxy::start(echo_server().await).await;
        let mut client = TcpStream::connect(proxy.addr()).await.expect("connect");
        assert_eq!(
            round_trip(&mut client, b"ping").await.expect("echo"),
            b"ping"
        );

        proxy.cut().await;
        assert_eq!(proxy.live_connections(), 0);
        assert!(
            round_trip(&mut client, b"lost").await.is_err(),
            "a cut connection must not carry data"
        );
        let mut turned_away = TcpStream::connect(proxy.addr()).await.expect("tcp accept");
        assert!(round_trip(&mut turned_away, b"nope").await.is_err());

        proxy.restore();
        let restored = wait_until(PATIENCE, || async {
            match TcpStream::connect(proxy.addr()).await {
                Ok(mut fresh) => round_trip(&mut fresh, b"back").await.is_ok(),
                Err(_) => false,
            }
        })
        .await;
        assert!(restored, "new connections are forwarded after restore");
    }
}
