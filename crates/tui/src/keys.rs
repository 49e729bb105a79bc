//! Key bindings: the key actions of the configuration's one list
//! (`launchdeck_core::config::KEY_ACTIONS`) that these screens offer, the effective
//! keys after `[keys]`, and where each is listed in the help.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::TuiError;

pub use launchdeck_core::config::{KEY_ACTIONS, KeyAction, KeyActionDef};

/// Where a key action is listed in the help overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpGroup {
    General,
    Screens,
    Move,
    /// Keys that act on a screen's rows.
    Lists,
    /// Keys that change the platform (each asks for confirmation first).
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
            HelpGroup::Actions => "Actions",
        }
    }

    /// The group `action` is listed in; `None` for an action these screens do not offer
    /// (it gets no key, so no hint or help line can promise it).
    pub fn of(action: KeyAction) -> Option<HelpGroup> {
        use KeyAction as K;
        Some(match action {
            K::Quit
            | K::Help
            | K::Refresh
            | K::RerunReadiness
            | K::Freeze
            | K::RevealNumbers
            | K::Back => HelpGroup::General,
            K::ScreenOverview
            | K::ScreenReadiness
            | K::ScreenCalls
            | K::ScreenLogs
            | K::NextScreen => HelpGroup::Screens,
            K::MoveDown | K::MoveUp | K::MoveTop | K::MoveBottom | K::PageUp | K::PageDown => {
                HelpGroup::Move
            }
            K::Mark | K::Filter | K::Detail => HelpGroup::Lists,
            K::Pause
            | K::Resume
            | K::Cleanup
            | K::RefreshTokens
            | K::RunFix
            | K::Acknowledge
            | K::EmergencyStop
            | K::TestBroadcast => HelpGroup::Actions,
        })
    }
}

/// The key actions these screens offer, in help order.
pub fn offered() -> impl Iterator<Item = &'static KeyActionDef> {
    KEY_ACTIONS
        .iter()
        .filter(|d| HelpGroup::of(d.action).is_some())
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
    bindings: Vec<(KeyAction, Vec<KeySpec>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = offered()
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
        let mut overridden: Vec<KeyAction> = Vec::new();
        for (name, key) in overrides {
            let Some(action) = KeyAction::from_name(name).filter(|a| HelpGroup::of(*a).is_some())
            else {
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

    fn keys_mut(&mut self, action: KeyAction) -> &mut Vec<KeySpec> {
        let index = self
            .bindings
            .iter()
            .position(|(a, _)| *a == action)
            .unwrap_or(0);
        &mut self.bindings[index].1
    }

    /// The keys bound to `action`.
    pub fn keys(&self, action: KeyAction) -> &[KeySpec] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(&[], |(_, keys)| keys.as_slice())
    }

    /// The action a key press triggers, if any.
    pub fn action_for(&self, event: &KeyEvent) -> Option<KeyAction> {
        self.bindings
            .iter()
            .find(|(_, keys)| keys.iter().any(|k| key_matches(k, event)))
            .map(|(a, _)| *a)
    }

    /// The keys of an action as shown to the operator, e.g. `j/down`; `-` when unbound.
    pub fn label(&self, action: KeyAction) -> String {
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
    pub fn first_key(&self, action: KeyAction) -> Option<String> {
        self.keys(action).first().map(ToString::to_string)
    }

    fn first_conflict(&self) -> Option<(KeySpec, KeyAction, KeyAction)> {
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

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
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
        assert_eq!(map.action_for(&big_g), Some(KeyAction::MoveBottom));
        let g = press(KeyCode::Char('g'), KeyModifiers::NONE);
        assert_eq!(map.action_for(&g), Some(KeyAction::MoveTop));
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
        assert_eq!(map.keys(KeyAction::Freeze), &[x, w]);
        assert_eq!(map.label(KeyAction::Freeze), "x/w");
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
