use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A TCP proxy on 127.0.0.1 that forwards every connection to a target and can
/// simulate an outage: [`cut`](TcpProxy::cut) closes every live connection and
/// turns new ones away until [`restore`](TcpProxy::restore).
///
/// While cut, the proxy keeps its port (so clients keep the same address) but
/// closes each accepted connection at once, which clients see as a reset
/// connection; [`turned_away_at`](TcpProxy::turned_away_at) says when each came.
///
/// It can also stop a client mid-conversation, deterministically: [`hold`](TcpProxy::hold)
/// keeps what a connection's client sends from the first chunk holding a given text
/// (an SQL statement, `COMMIT`) until [`release`](TcpProxy::release) forwards it,
/// [`cut`](TcpProxy::cut) drops it, or [`deliver_held_and_cut`](TcpProxy::deliver_held_and_cut)
/// forwards it and cuts before any answer comes back.
pub struct TcpProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_task: JoinHandle<()>,
}

struct Shared {
    target: SocketAddr,
    state: Mutex<State>,
    holding: watch::Sender<Holding>,
    /// The connections whose client bytes are held now.
    held: Mutex<HashSet<u64>>,
}

#[derive(Default)]
struct State {
    cut: bool,
    /// Each forwarded connection's task, by connection number.
    connections: Vec<(u64, JoinHandle<()>)>,
    /// When each connection forwarded to the target came, oldest first.
    forwarded: Vec<Instant>,
    /// When each connection that came while cut was turned away.
    turned_away: Vec<Instant>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn held(&self) -> MutexGuard<'_, HashSet<u64>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where [`TcpProxy::hold`] stops a connection: at the first chunk its client sends that
/// holds `at`, once an earlier chunk (or the same one) held `after`, when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldAt {
    after: Option<Vec<u8>>,
    at: Vec<u8>,
}

impl HoldAt {
    /// At the first chunk holding `at` (e.g. the text of an SQL statement; a statement
    /// prepared once per connection carries its text only the first time).
    pub fn text(at: &str) -> HoldAt {
        HoldAt {
            after: None,
            at: at.as_bytes().to_vec(),
        }
    }

    /// Only once the connection has sent `after` (e.g. `COMMIT` after an UPDATE).
    pub fn after(mut self, after: &str) -> HoldAt {
        self.after = Some(after.as_bytes().to_vec());
        self
    }

    /// Bytes (e.g. a bound parameter's binary form), for what has no text of its own.
    pub fn bytes(at: &[u8]) -> HoldAt {
        HoldAt {
            after: None,
            at: at.to_vec(),
        }
    }
}

/// What held connections do, shared with every connection task.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Holding {
    Off,
    /// Hold at this point; the number tells one `hold` call from the next.
    Armed(u64, HoldAt),
    /// Forward what is held and carry on.
    Release,
    /// Forward what is held, then close the connection without reading the answer.
    DeliverAndCut,
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
            holding: watch::Sender::new(Holding::Off),
            held: Mutex::default(),
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

    /// Closes every live connection (dropping any bytes held) and turns new ones away.
    /// Returns once every forwarded connection is closed.
    pub async fn cut(&self) {
        self.close_where(|_| true).await;
        self.shared.holding.send_replace(Holding::Off);
    }

    /// Turns new connections away and closes the live ones `which` picks, by number.
    async fn close_where(&self, which: impl Fn(u64) -> bool) {
        let closing: Vec<JoinHandle<()>> = {
            let mut state = self.shared.state();
            state.cut = true;
            let (closing, kept) = std::mem::take(&mut state.connections)
                .into_iter()
                .partition(|(n, _)| which(*n));
            state.connections = kept;
            closing.into_iter().map(|(_, task)| task).collect()
        };
        for task in &closing {
            task.abort();
        }
        for task in closing {
            let _ = task.await;
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
        state.connections.retain(|(_, c)| !c.is_finished());
        state.connections.len()
    }

    /// When each connection forwarded to the target came, oldest first.
    pub fn forwarded_at(&self) -> Vec<Instant> {
        self.shared.state().forwarded.clone()
    }

    /// When each connection that came while the proxy was cut was turned away, oldest
    /// first: a client's reconnection attempts during an outage.
    pub fn turned_away_at(&self) -> Vec<Instant> {
        self.shared.state().turned_away.clone()
    }

    /// From now on, every connection whose client sends what `at` describes stops
    /// forwarding its client's bytes there (the server's answers still flow), until
    /// [`release`](TcpProxy::release), [`cut`](TcpProxy::cut) or
    /// [`deliver_held_and_cut`](TcpProxy::deliver_held_and_cut).
    pub fn hold(&self, at: HoldAt) {
        self.shared.holding.send_modify(|holding| {
            let generation = match holding {
                Holding::Armed(n, _) => *n + 1,
                _ => 1,
            };
            *holding = Holding::Armed(generation, at);
        });
    }

    /// How many connections are held now.
    pub fn held(&self) -> usize {
        self.shared.held().len()
    }

    /// Forwards what every held connection holds, and holds nothing more.
    pub fn release(&self) {
        self.shared.holding.send_replace(Holding::Release);
    }

    /// Forwards what every held connection holds to the target, then cuts (as
    /// [`cut`](TcpProxy::cut)) before any answer reaches a client: the server runs
    /// the statement (say a `COMMIT`), the client never learns how it went.
    pub async fn deliver_held_and_cut(&self) {
        // The others go first: none may carry a question about the held one's fate.
        let held = self.shared.held().clone();
        self.close_where(|n| !held.contains(&n)).await;
        self.shared.holding.send_replace(Holding::DeliverAndCut);
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.held() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.cut().await;
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accept_task.abort();
        for (_, connection) in self.shared.state().connections.drain(..) {
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
            state.turned_away.push(Instant::now());
            drop(client);
            continue;
        }
        state.forwarded.push(Instant::now());
        state.connections.retain(|(_, c)| !c.is_finished());
        let number = state.forwarded.len() as u64;
        let task = tokio::spawn(forward(number, client, shared.clone()));
        state.connections.push((number, task));
    }
}

/// How the client-to-server direction ended.
#[derive(Debug, PartialEq, Eq)]
enum UpEnd {
    /// The client closed (or the server stopped taking bytes): let the answers drain.
    Closed,
    /// Delivered what was held and cut: drop the connection now.
    Cut,
}

async fn forward(number: u64, client: TcpStream, shared: Arc<Shared>) {
    let Ok(server) = TcpStream::connect(shared.target).await else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, mut client_write) = client.into_split();
    let (mut server_read, server_write) = server.into_split();
    let down = async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    let up = copy_up(number, client_read, server_write, &shared);
    tokio::pin!(down);
    tokio::select! {
        end = up => if end == UpEnd::Closed { down.await },
        () = &mut down => {}
    }
}

/// Client to server, holding where the armed [`HoldAt`] says.
async fn copy_up(
    number: u64,
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    shared: &Shared,
) -> UpEnd {
    let mut holding = shared.holding.subscribe();
    let mut matcher = Matcher::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return UpEnd::Closed;
            }
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        let armed = match &*holding.borrow_and_update() {
            Holding::Armed(generation, at) => Some((*generation, at.clone())),
            _ => None,
        };
        if let Some((generation, at)) = armed
            && matcher.matches(generation, &at, chunk)
        {
            let _held = HeldGuard::new(shared, number);
            if wait_while_held(&mut holding).await == Holding::DeliverAndCut {
                let _ = to.write_all(chunk).await;
                let _ = to.shutdown().await;
                return UpEnd::Cut;
            }
        }
        if to.write_all(chunk).await.is_err() {
            return UpEnd::Closed;
        }
    }
}

/// Waits until the hold ends; what ended it.
async fn wait_while_held(holding: &mut watch::Receiver<Holding>) -> Holding {
    loop {
        let now = holding.borrow_and_update().clone();
        if !matches!(now, Holding::Armed(..)) {
            return now;
        }
        if holding.changed().await.is_err() {
            return Holding::Off;
        }
    }
}

/// Counts a held connection for as long as it lives (an aborted one too).
struct HeldGuard<'a> {
    shared: &'a Shared,
    number: u64,
}

impl<'a> HeldGuard<'a> {
    fn new(shared: &'a Shared, number: u64) -> Self {
        shared.held().insert(number);
        HeldGuard { shared, number }
    }
}

impl Drop for HeldGuard<'_> {
    fn drop(&mut self) {
        self.shared.held().remove(&self.number);
    }
}

/// Finds a [`HoldAt`] in one connection's client bytes, across chunk boundaries.
#[derive(Default)]
struct Matcher {
    generation: u64,
    after_seen: bool,
    /// The end of what was forwarded before, for a text cut between two chunks.
    tail: Vec<u8>,
}

impl Matcher {
    fn matches(&mut self, generation: u64, hold: &HoldAt, chunk: &[u8]) -> bool {
        if generation != self.generation {
            *self = Matcher {
                generation,
                ..Matcher::default()
            };
        }
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(chunk);
        let mut from = 0;
        if let Some(after) = hold.after.as_deref().filter(|_| !self.after_seen)
            && let Some(pos) = find(&window, after)
        {
            self.after_seen = true;
            from = pos + after.len();
        }
        let found =
            (hold.after.is_none() || self.after_seen) && find(&window[from..], &hold.at).is_some();
        let keep = hold
            .at
            .len()
            .max(hold.after.as_ref().map_or(0, Vec::len))
            .saturating_sub(1);
        self.tail = window[window.len().saturating_sub(keep)..].to_vec();
        found
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
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
        assert_eq!(
            proxy.turned_away_at().len(),
            1,
            "the one connection made while cut"
        );
    }

    /// A server that keeps what it reads and answers each chunk with "ok".
    async fn recording_server() -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind recorder");
        let addr = listener.local_addr().expect("recorder addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let keep = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let keep = keep.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = socket.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        keep.lock().expect("recorder").extend_from_slice(&buf[..n]);
                        let _ = socket.write_all(b"ok").await;
                    }
                });
            }
        });
        (addr, seen)
    }

    #[tokio::test]
    async fn holds_at_a_text_after_another_until_released() {
        let proxy = TcpProxy::start(echo_server().await).await;
        let mut client = TcpStream::connect(proxy.addr()).await.expect("connect");
        proxy.hold(HoldAt::text("COMMIT").after("UPDATE"));
        assert_eq!(
            round_trip(&mut client, b"COMMIT").await.expect("echo"),
            b"COMMIT"
        );
        assert_eq!(
            round_trip(&mut client, b"UPDATE t").await.expect("echo"),
            b"UPDATE t"
        );

        client.write_all(b"COMMIT").await.expect("send");
        assert!(wait_until(PATIENCE, || async { proxy.held() == 1 }).await);
        let mut reply = [0u8; 6];
        assert!(
            matches!(client.try_read(&mut reply), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "nothing was forwarded while held"
        );
        proxy.release();
        client
            .read_exact(&mut reply)
            .await
            .expect("echo after release");
        assert_eq!(&reply, b"COMMIT");
        assert_eq!(proxy.held(), 0);
        assert_eq!(
            round_trip(&mut client, b"COMMIT").await.expect("echo"),
            b"COMMIT",
            "released: nothing more is held"
        );
    }

    #[tokio::test]
    async fn deliver_held_and_cut_forwards_but_never_answers() {
        let (server, seen) = recording_server().await;
        let proxy = TcpProxy::start(server).await;
        let mut client = TcpStream::connect(proxy.addr()).await.expect("connect");
        proxy.hold(HoldAt::text("COMMIT"));
        client.write_all(b"COMMIT").await.expect("send");
        assert!(wait_until(PATIENCE, || async { proxy.held() == 1 }).await);
        proxy.deliver_held_and_cut().await;
        let delivered = wait_until(PATIENCE, || async {
            seen.lock().expect("recorder").as_slice() == b"COMMIT"
        })
        .await;
        assert!(delivered, "the server got what was held");
        let mut reply = Vec::new();
        let answer = client.read_to_end(&mut reply).await;
        assert!(
            answer.is_err() || reply.is_empty(),
            "no answer reaches the client: {reply:?}"
        );
        assert!(proxy.is_cut());
    }

    #[tokio::test]
    async fn cut_drops_what_is_held() {
        let (server, seen) = recording_server().await;
        let proxy = TcpProxy::start(server).await;
        let mut client = TcpStream::connect(proxy.addr()).await.expect("connect");
        proxy.hold(HoldAt::bytes(b"\0\x01UPDATE"));
        client.write_all(b"x\0\x01UPDATE").await.expect("send");
        assert!(wait_until(PATIENCE, || async { proxy.held() == 1 }).await);
        proxy.cut().await;
        assert_eq!(proxy.held(), 0);
        assert!(
            seen.lock().expect("recorder").is_empty(),
            "nothing delivered"
        );
    }
}
