//! Key bindings: the actions the console offers, their default keys, and the key
//! strings the `[keys]` section accepts (`q`, `?`, `enter`, `esc`, `tab`, `space`,
//! `up`/`down`/`left`/`right`, `pgup`/`pgdn`, `home`/`end`, `ctrl-x`).

use std::fmt;

/// An action a key can be bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyAction {
    Quit,
    Help,
    ScreenOverview,
    ScreenReadiness,
    ScreenCalls,
    ScreenLogs,
    NextScreen,
    MoveDown,
    MoveUp,
    MoveTop,
    MoveBottom,
    PageUp,
    PageDown,
    Filter,
    Back,
    Detail,
    Refresh,
    RerunReadiness,
    RefreshTokens,
    Cleanup,
    TestBroadcast,
    Pause,
    Resume,
    EmergencyStop,
    Mark,
    Freeze,
    Acknowledge,
    RevealNumbers,
    RunFix,
}

/// One bindable action: its name in `[keys]`, its default keys and its help text.
#[derive(Debug, Clone, Copy)]
pub struct KeyActionDef {
    pub action: KeyAction,
    pub name: &'static str,
    pub default_keys: &'static [&'static str],
    pub help: &'static str,
}

const fn def(
    action: KeyAction,
    name: &'static str,
    default_keys: &'static [&'static str],
    help: &'static str,
) -> KeyActionDef {
    KeyActionDef {
        action,
        name,
        default_keys,
        help,
    }
}

/// Every action that `[keys]` can rebind, in help-screen order.
pub const KEY_ACTIONS: &[KeyActionDef] = &[
    def(KeyAction::Quit, "quit", &["q"], "quit"),
    def(KeyAction::Help, "help", &["?"], "show all keys"),
    def(
        KeyAction::ScreenOverview,
        "screen_overview",
        &["1"],
        "Overview screen",
    ),
    def(
        KeyAction::ScreenReadiness,
        "screen_readiness",
        &["2"],
        "Readiness screen",
    ),
    def(
        KeyAction::ScreenCalls,
        "screen_calls",
        &["3"],
        "Calls screen",
    ),
    def(KeyAction::ScreenLogs, "screen_logs", &["4"], "Logs screen"),
    def(
        KeyAction::NextScreen,
        "next_screen",
        &["tab"],
        "next screen",
    ),
    def(
        KeyAction::MoveDown,
        "move_down",
        &["j", "down"],
        "move down",
    ),
    def(KeyAction::MoveUp, "move_up", &["k", "up"], "move up"),
    def(
        KeyAction::MoveTop,
        "move_top",
        &["g", "home"],
        "go to the top",
    ),
    def(
        KeyAction::MoveBottom,
        "move_bottom",
        &["G", "end"],
        "go to the bottom",
    ),
    def(KeyAction::PageUp, "page_up", &["pgup"], "page up"),
    def(KeyAction::PageDown, "page_down", &["pgdn"], "page down"),
    def(KeyAction::Filter, "filter", &["/"], "filter the log (Logs)"),
    def(KeyAction::Back, "back", &["esc"], "back / cancel"),
    def(
        KeyAction::Detail,
        "detail",
        &["enter"],
        "detail (Readiness, Logs)",
    ),
    def(KeyAction::Refresh, "refresh", &["r"], "poll now"),
    def(
        KeyAction::RerunReadiness,
        "rerun_readiness",
        &["R"],
        "re-run readiness checks",
    ),
    def(
        KeyAction::RefreshTokens,
        "refresh_tokens",
        &["t"],
        "refresh calendar tokens",
    ),
    def(
        KeyAction::Cleanup,
        "cleanup",
        &["c"],
        "clean up stuck calls",
    ),
    def(
        KeyAction::TestBroadcast,
        "test_broadcast",
        &["b"],
        "start a test broadcast",
    ),
    def(KeyAction::Pause, "pause", &["p"], "pause the selection"),
    def(KeyAction::Resume, "resume", &["P"], "resume the selection"),
    def(
        KeyAction::EmergencyStop,
        "emergency_stop",
        &["X"],
        "emergency stop",
    ),
    def(KeyAction::Mark, "mark", &["space"], "mark the row (Calls)"),
    def(KeyAction::Freeze, "freeze", &["f"], "freeze the display"),
    def(
        KeyAction::Acknowledge,
        "acknowledge",
        &["a"],
        "acknowledge the alert",
    ),
    def(
        KeyAction::RevealNumbers,
        "reveal_numbers",
        &["v"],
        "reveal full lead numbers",
    ),
    def(KeyAction::RunFix, "run_fix", &["F"], "run the check's fix"),
];

impl KeyAction {
    pub fn def(self) -> &'static KeyActionDef {
        KEY_ACTIONS
            .iter()
            .find(|d| d.action == self)
            .unwrap_or(&KEY_ACTIONS[0])
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    pub fn from_name(name: &str) -> Option<KeyAction> {
        KEY_ACTIONS
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.action)
    }
}

/// A key without modifiers, terminal-library neutral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    /// A printable character; `space` is `Char(' ')`.
    Char(char),
    Enter,
    Esc,
    Tab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

/// A key as bound in `[keys]`: a key code, optionally with ctrl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub ctrl: bool,
}

const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("space", KeyCode::Char(' ')),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
];

impl KeyBinding {
    /// Parses a key string; the error says which forms are accepted.
    pub fn parse(text: &str) -> Result<KeyBinding, String> {
        let lower = text.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("ctrl-") {
            return match single_char(rest) {
                Some(c) if c.is_ascii_alphanumeric() => Ok(KeyBinding {
                    code: KeyCode::Char(c),
                    ctrl: true,
                }),
                _ => Err(bad_key(text)),
            };
        }
        if let Some((_, code)) = NAMED_KEYS.iter().find(|(name, _)| *name == lower) {
            return Ok(KeyBinding {
                code: *code,
                ctrl: false,
            });
        }
        match single_char(text) {
            Some(c) if !c.is_control() && !c.is_whitespace() => Ok(KeyBinding {
                code: KeyCode::Char(c),
                ctrl: false,
            }),
            _ => Err(bad_key(text)),
        }
    }
}

fn single_char(text: &str) -> Option<char> {
    let mut chars = text.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

fn bad_key(text: &str) -> String {
    format!(
        "{:?} is not a key: use a single character, enter, esc, tab, space, up, down, left, right, pgup, pgdn, home, end, or ctrl-<letter>",
        crate::redact::sanitize_provider_text(text)
    )
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            write!(f, "ctrl-")?;
        }
        if let Some((name, _)) = NAMED_KEYS.iter().find(|(_, code)| *code == self.code) {
            return write!(f, "{name}");
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            // every other code is in NAMED_KEYS
            other => write!(f, "{other:?}"),
        }
    }
}

/// The effective key bindings: every action in [`KEY_ACTIONS`] with its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    bindings: Vec<(KeyAction, Vec<KeyBinding>)>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let bindings = KEY_ACTIONS
            .iter()
            .map(|d| {
                let keys = d
                    .default_keys
                    .iter()
                    .filter_map(|k| KeyBinding::parse(k).ok())
                    .collect();
                (d.action, keys)
            })
            .collect();
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// The keys bound to `action` (empty if it has none).
    pub fn keys(&self, action: KeyAction) -> &[KeyBinding] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(&[], |(_, keys)| keys.as_slice())
    }

    /// The action a key press triggers, if any.
    pub fn action_for(&self, key: KeyBinding) -> Option<KeyAction> {
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(a, _)| *a)
    }

    pub fn iter(&self) -> impl Iterator<Item = (KeyAction, &[KeyBinding])> {
        self.bindings.iter().map(|(a, k)| (*a, k.as_slice()))
    }

    /// Replaces the keys of one action.
    pub(crate) fn bind(&mut self, action: KeyAction, keys: Vec<KeyBinding>) {
        if let Some(entry) = self.bindings.iter_mut().find(|(a, _)| *a == action) {
            entry.1 = keys;
        }
    }

    /// The first key bound to two actions, with both actions.
    pub(crate) fn first_conflict(&self) -> Option<(KeyBinding, KeyAction, KeyAction)> {
        for (i, (action, keys)) in self.bindings.iter().enumerate() {
            for (other, other_keys) in &self.bindings[i + 1..] {
                if let Some(key) = keys.iter().find(|k| other_keys.contains(k)) {
                    return Some((*key, *action, *other));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        let cases = [
            ("q", KeyCode::Char('q'), false),
            ("?", KeyCode::Char('?'), false),
            ("G", KeyCode::Char('G'), false),
            ("enter", KeyCode::Enter, false),
            ("Esc", KeyCode::Esc, false),
            ("space", KeyCode::Char(' '), false),
            ("pgdn", KeyCode::PageDown, false),
            ("home", KeyCode::Home, false),
            ("ctrl-x", KeyCode::Char('x'), true),
        ];
        for (text, code, ctrl) in cases {
            assert_eq!(
                KeyBinding::parse(text),
                Ok(KeyBinding { code, ctrl }),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_garbage() {
        for text in ["", "qq", "ctrl-", "ctrl-??", "\u{7}", " ", "f13"] {
            assert!(KeyBinding::parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["q", "space", "ctrl-x", "pgup", "enter", "/"] {
            let key = KeyBinding::parse(text).expect("valid key");
            assert_eq!(key.to_string(), text);
        }
    }

    #[test]
    fn defaults_parse_and_do_not_conflict() {
        for d in KEY_ACTIONS {
            for k in d.default_keys {
                assert!(KeyBinding::parse(k).is_ok(), "{}: {k}", d.name);
            }
            assert_eq!(KeyAction::from_name(d.name), Some(d.action));
            assert_eq!(d.action.name(), d.name);
        }
        let map = KeyMap::default();
        assert_eq!(map.first_conflict(), None);
        let q = KeyBinding::parse("q").expect("valid key");
        assert_eq!(map.action_for(q), Some(KeyAction::Quit));
    }

    #[test]
    fn rebinding_can_create_a_conflict() {
        let mut map = KeyMap::default();
        let q = KeyBinding::parse("q").expect("valid key");
        map.bind(KeyAction::Refresh, vec![q]);
        assert_eq!(
            map.first_conflict(),
            Some((q, KeyAction::Quit, KeyAction::Refresh))
        );
    }
}
