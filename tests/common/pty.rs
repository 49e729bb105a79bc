//! Drives the real `launchdeck` binary in a pseudo-terminal and reads its screen
//! through a vt100 parser, the way an operator's terminal would show it.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// Generous deadline for a screen condition on a loaded 2-core machine.
pub const DEADLINE: Duration = Duration::from_secs(30);

pub struct PtyApp {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl PtyApp {
    /// Starts the binary with `args`, a cleared environment plus `env`, at cols×rows.
    pub fn spawn(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> PtyApp {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_launchdeck"));
        cmd.args(args);
        cmd.env_clear();
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn launchdeck");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(rows).expect("rows > 0"),
            std::num::NonZeroU16::new(cols).expect("cols > 0"),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (screen_w, raw_w) = (screen.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen_w.lock().unwrap().process(&buf[..n]);
                raw_w.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        PtyApp {
            child,
            master: pty.master,
            writer,
            screen,
            raw,
        }
    }

    /// The program's process id (to read its /proc entries).
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("the program's pid")
    }

    /// Sends `signal` to the program, as `kill` would.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = self.child.process_id().expect("the program's pid");
        let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("pid fits"));
        nix::sys::signal::kill(pid, signal).expect("send the signal");
    }

    /// Resizes the terminal, as dragging the window's corner would. The screen model
    /// keeps the size the program started with (frames drawn smaller land in its
    /// top-left corner): resize back to it before reading the screen in earnest.
    pub fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
    }

    pub fn screen_text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Everything the program wrote to the terminal so far.
    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("write keys");
        self.writer.flush().expect("flush keys");
    }

    /// Polls the screen until `pred` holds; panics with the screen on timeout.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_for_within(DEADLINE, what, pred)
    }

    /// `wait_for` with its own deadline, for what takes long by design (a provider asked
    /// once a second per call).
    pub fn wait_for_within(
        &self,
        deadline: Duration,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let text = self.screen_text();
            if pred(&text) {
                return text;
            }
            if start.elapsed() > deadline {
                panic!("timed out waiting for {what}; screen:\n{text}");
            }
            std::thread::park_timeout(Duration::from_millis(50));
        }
    }

    pub fn wait_for_text(&self, needle: &str) -> String {
        self.wait_for(needle, |s| s.contains(needle))
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self) -> Option<u32> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll child") {
                return Some(status.exit_code());
            }
            if start.elapsed() > DEADLINE {
                let _ = self.child.kill();
                panic!("launchdeck did not exit; screen:\n{}", self.screen_text());
            }
            std::thread::park_timeout(Duration::from_millis(50));
        }
    }

    /// The terminal is back to normal: the alternate screen was left after it was
    /// entered, and the pty is in cooked mode with echo again.
    pub fn assert_terminal_restored(&self) {
        // The reader thread may still be copying the program's last bytes after its exit.
        let left_last = |raw: &[u8]| {
            let text = String::from_utf8_lossy(raw);
            text.rfind("\u{1b}[?1049l") > text.rfind("\u{1b}[?1049h")
        };
        let start = Instant::now();
        while !left_last(&self.raw_output()) && start.elapsed() < DEADLINE {
            std::thread::park_timeout(Duration::from_millis(20));
        }
        let raw = self.raw_output();
        let text = String::from_utf8_lossy(&raw);
        let entered = text
            .rfind("\u{1b}[?1049h")
            .expect("entered the alternate screen");
        let left = text
            .rfind("\u{1b}[?1049l")
            .expect("left the alternate screen");
        assert!(left > entered, "alternate screen not left at the end");
        if let Some(termios) = self.master.get_termios() {
            use nix::sys::termios::LocalFlags;
            let flags = termios.local_flags;
            assert!(
                flags.contains(LocalFlags::ECHO),
                "echo is still off (raw mode)"
            );
            assert!(
                flags.contains(LocalFlags::ICANON),
                "canonical mode is still off (raw mode)"
            );
        }
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The line the cursor (`›`) is on.
pub fn cursor_line(screen: &str) -> Option<&str> {
    screen.lines().find(|l| l.starts_with('›'))
}

/// Moves the cursor down until its line contains `needle`.
pub fn move_cursor_to(app: &mut PtyApp, needle: &str) {
    move_cursor_with(app, needle, "j");
}

/// Like [`move_cursor_to`], moving up with `key`.
pub fn move_cursor_with(app: &mut PtyApp, needle: &str, key: &str) {
    for _ in 0..120 {
        let screen = app.screen_text();
        let before = cursor_line(&screen).map(str::to_string);
        if before.as_deref().is_some_and(|l| l.contains(needle)) {
            return;
        }
        app.send(key);
        app.wait_for("the cursor to move", |s| {
            cursor_line(s).map(str::to_string) != before
        });
    }
    panic!(
        "no line with {needle:?} under the cursor:\n{}",
        app.screen_text()
    );
}
