//! Key bindings: the actions the screens offer, their names in `[keys]` (the same names
//! as the config's key list), their default keys, and the key strings accepted.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::TuiError;

/// An action a key triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
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
    Mark,
    Freeze,
    RevealNumbers,
    /// Pause the broadcast/campaign selected on the Overview.
    Pause,
    /// Resume the paused broadcast/campaign selected on the Overview.
    Resume,
}

/// Where an action is listed in the help overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpGroup {
    General,
    Screens,
    Move,
    /// Keys that act on a screen's rows.
    Lists,
    /// Keys that change the database (each asks for confirmation first).
    Actions,
}

impl HelpGroup {
    pub const ALL: [HelpGroup; 5] = [
        HelpGroup::General,
        HelpGroup::Screens,
        HelpGroup::Move,
        HelpGroup::Lists,
        HelpGroup::Actions,
    ];

    pub fn title(self) -> &'static str {
        match self {
            HelpGroup::General => "General",
            HelpGroup::Screens => "Screens",
            HelpGroup::Move => "Move",
            HelpGroup::Lists => "Lists",
            HelpGroup::Actions => "Actions (Overview)",
        }
    }
}

/// One bindable action: its `[keys]` name, default keys, help text and help group.
#[derive(Debug, Clone, Copy)]
pub struct ActionDef {
    pub action: Action,
    pub name: &'static str,
    pub default_keys: &'static [&'static str],
    pub help: &'static str,
    pub group: HelpGroup,
}

const fn def(
    action: Action,
    name: &'static str,
    default_keys: &'static [&'static str],
    help: &'static str,
    group: HelpGroup,
) -> ActionDef {
    ActionDef {
        action,
        name,
        default_keys,
        help,
        group,
    }
}

use HelpGroup::{Actions, General, Lists, Move, Screens};

/// Every action of these screens, in help order. `ctrl-c` always quits as well.
pub const ACTIONS: &[ActionDef] = &[
    def(Action::Quit, "quit", &["q"], "quit", General),
    def(Action::Help, "help", &["?"], "show all keys", General),
    def(Action::Refresh, "refresh", &["r"], "poll now", General),
    def(
        Action::RerunReadiness,
        "rerun_readiness",
        &["R"],
        "re-run readiness checks",
        General,
    ),
    def(
        Action::Freeze,
        "freeze",
        &["f"],
        "freeze the display",
        General,
    ),
    def(
        Action::RevealNumbers,
        "reveal_numbers",
        &["v"],
        "reveal full lead numbers",
        General,
    ),
    def(Action::Back, "back", &["esc"], "back / cancel", General),
    def(
        Action::ScreenOverview,
        "screen_overview",
        &["1"],
        "Overview screen",
        Screens,
    ),
    def(
        Action::ScreenReadiness,
        "screen_readiness",
        &["2"],
        "Readiness screen",
        Screens,
    ),
    def(
        Action::ScreenCalls,
        "screen_calls",
        &["3"],
        "Calls screen",
        Screens,
    ),
    def(
        Action::ScreenLogs,
        "screen_logs",
        &["4"],
        "Logs screen",
        Screens,
    ),
    def(
        Action::NextScreen,
        "next_screen",
        &["tab"],
        "next screen",
        Screens,
    ),
    def(
        Action::MoveDown,
        "move_down",
        &["j", "down"],
        "move down",
        Move,
    ),
    def(Action::MoveUp, "move_up", &["k", "up"], "move up", Move),
    def(
        Action::MoveTop,
        "move_top",
        &["g", "home"],
        "go to the top",
        Move,
    ),
    def(
        Action::MoveBottom,
        "move_bottom",
        &["G", "end"],
        "go to the bottom",
        Move,
    ),
    def(Action::PageUp, "page_up", &["pgup"], "page up", Move),
    def(Action::PageDown, "page_down", &["pgdn"], "page down", Move),
    def(
        Action::Mark,
        "mark",
        &["space"],
        "mark the row (Calls)",
        Lists,
    ),
    def(
        Action::Filter,
        "filter",
        &["/"],
        "filter the log (Logs)",
        Lists,
    ),
    def(
        Action::Detail,
        "detail",
        &["enter"],
        "detail (Readiness, Logs)",
        Lists,
    ),
    def(
        Action::Pause,
        "pause",
        &["p"],
        "pause the selection",
        Actions,
    ),
    def(
        Action::Resume,
        "resume",
        &["P"],
        "resume the selection",
        Actions,
    ),
];

impl Action {
    pub fn def(self) -> &'static ActionDef {
        ACTIONS
            .iter()
            .find(|d| d.action == self)
            .unwrap_or(&ACTIONS[0])
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    pub fn from_name(name: &str) -> Option<Action> {
        ACTIONS.iter().find(|d| d.name == name).map(|d| d.action)
    }
}

/// A key as written in `[keys]`: the configuration's own type, so the TUI and
/// `config check` accept exactly the same key strings.
pub type KeySpec = launchdeck_core::config::KeyBinding;

/// Whether a key press is `spec`. Shift is part of the character (`G`), so it is
/// ignored for characters; ctrl must match; alt never does.
pub fn key_matches(spec: &KeySpec, event: &KeyEvent) -> bool {
    use launchdeck_core::config::KeyCode as Code;
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl != spec.ctrl || event.modifiers.contains(KeyModifiers::ALT) {
        return false;
    }
    match (spec.code, event.code) {
        (Code::Char(want), KeyCode::Char(got)) if spec.ctrl => want.eq_ignore_ascii_case(&got),
        (Code::Char(want), KeyCode::Char(got)) => want == got,
        (Code::Enter, KeyCode::Enter)
        | (Code::Esc, KeyCode::Esc)
        | (Code::Tab, KeyCode::Tab)
        | (Code::Up, KeyCode::Up)
        | (Code::Down, KeyCode::Down)
        | (Code::Left, KeyCode::Left)
        | (Code::Right, KeyCode::Right)
        | (Code::PageUp, KeyCode::PageUp)
        | (Code::PageDown, KeyCode::PageDown)
        | (Code::Home, KeyCode::Home)
        | (Code::End, KeyCode::End) => true,
        _ => false,
    }
}

/// The effective bindings: every action of [`ACTIONS`] with its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<(Action, Vec<KeySpec>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = ACTIONS
            .iter()
            .map(|d| {
                let keys = d
                    .default_keys
                    .iter()
                    .filter_map(|k| KeySpec::parse(k).ok())
                    .collect();
                (d.action, keys)
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with `overrides` applied: an action named there gets exactly the keys
    /// listed for it. A key bound to two actions is an error naming both.
    pub fn with_overrides(overrides: &[(String, KeySpec)]) -> Result<Keymap, TuiError> {
        let mut map = Keymap::default();
        let mut overridden: Vec<Action> = Vec::new();
        for (name, key) in overrides {
            let Some(action) = Action::from_name(name) else {
                tracing::debug!(action = %name, "key binding for an action these screens do not offer");
                continue;
            };
            let keys = map.keys_mut(action);
            if !overridden.contains(&action) {
                overridden.push(action);
                keys.clear();
            }
            if !keys.contains(key) {
                keys.push(*key);
            }
        }
        match map.first_conflict() {
            Some((key, a, b)) => Err(TuiError::KeyConflict {
                key: key.to_string(),
                first: a.name(),
                second: b.name(),
            }),
            None => Ok(map),
        }
    }

    fn keys_mut(&mut self, action: Action) -> &mut Vec<KeySpec> {
        let index = self
            .bindings
            .iter()
            .position(|(a, _)| *a == action)
            .unwrap_or(0);
        &mut self.bindings[index].1
    }

    /// The keys bound to `action`.
    pub fn keys(&self, action: Action) -> &[KeySpec] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(&[], |(_, keys)| keys.as_slice())
    }

    /// The action a key press triggers, if any.
    pub fn action_for(&self, event: &KeyEvent) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(_, keys)| keys.iter().any(|k| key_matches(k, event)))
            .map(|(a, _)| *a)
    }

    /// The keys of an action as shown to the operator, e.g. `j/down`; `-` when unbound.
    pub fn label(&self, action: Action) -> String {
        let keys = self.keys(action);
        if keys.is_empty() {
            return "-".to_string();
        }
        keys.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The first key of an action, for the hint bar; `None` when unbound.
    pub fn first_key(&self, action: Action) -> Option<String> {
        self.keys(action).first().map(ToString::to_string)
    }

    fn first_conflict(&self) -> Option<(KeySpec, Action, Action)> {
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

/// True for `ctrl-c`, which always quits whatever the bindings say.
pub fn is_ctrl_c(event: &KeyEvent) -> bool {
    event.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(event.code, KeyCode::Char('c') | KeyCode::Char('C'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use launchdeck_core::config::{KEY_ACTIONS, KeyAction};

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn names_and_defaults_match_the_config_key_list() {
        for d in ACTIONS {
            let config_action = KeyAction::from_name(d.name)
                .unwrap_or_else(|| panic!("{} is not an action name of the config", d.name));
            let config_def = KEY_ACTIONS
                .iter()
                .find(|c| c.action == config_action)
                .expect("listed");
            assert_eq!(d.default_keys, config_def.default_keys, "{}", d.name);
        }
    }

    #[test]
    fn parses_and_displays_every_form() {
        for text in [
            "q", "?", "G", "enter", "esc", "space", "pgdn", "home", "ctrl-x", "/",
        ] {
            let key = KeySpec::parse(text).expect("valid key");
            assert_eq!(key.to_string(), text);
        }
        for bad in ["", "qq", "ctrl-", "ctrl-??", "\u{7}", " ", "f13"] {
            assert!(KeySpec::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn shifted_letters_match_their_character() {
        let map = Keymap::default();
        let big_g = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(map.action_for(&big_g), Some(Action::MoveBottom));
        let g = press(KeyCode::Char('g'), KeyModifiers::NONE);
        assert_eq!(map.action_for(&g), Some(Action::MoveTop));
        let ctrl_g = press(KeyCode::Char('g'), KeyModifiers::CONTROL);
        assert_eq!(map.action_for(&ctrl_g), None);
        assert!(is_ctrl_c(&press(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    }

    #[test]
    fn overrides_replace_an_actions_keys_and_ignore_unknown_actions() {
        let x = KeySpec::parse("x").expect("valid");
        let w = KeySpec::parse("w").expect("valid");
        let overrides = vec![
            ("freeze".to_string(), x),
            ("freeze".to_string(), w),
            ("cleanup".to_string(), KeySpec::parse("c").expect("valid")),
        ];
        let map = Keymap::with_overrides(&overrides).expect("no conflict");
        assert_eq!(map.keys(Action::Freeze), &[x, w]);
        assert_eq!(map.label(Action::Freeze), "x/w");
        let f = press(KeyCode::Char('f'), KeyModifiers::NONE);
        assert_eq!(map.action_for(&f), None);
    }

    #[test]
    fn a_key_bound_twice_is_an_error_naming_both_actions() {
        let q = KeySpec::parse("q").expect("valid");
        let err = Keymap::with_overrides(&[("refresh".to_string(), q)]).expect_err("conflict");
        let text = err.to_string();
        assert!(text.contains("quit") && text.contains("refresh"), "{text}");
    }
}
