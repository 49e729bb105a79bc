//! The test broadcast's form (`b`): what is tested (the Overview's selection), the
//! destination numbers — picked from `[test_broadcast] allowlist` or typed — and, for a
//! broadcast, the agent an AI broadcast talks with. Submitting it asks for the plan,
//! which validates everything again; the form only catches mistakes early.

use launchdeck_core::test_broadcast::validate_destinations;
use uuid::Uuid;

use crate::actions::TypedText;
use crate::model::ParentKind;

/// Which part of the form has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormFocus {
    /// The allowlist: `space` marks a number.
    Numbers,
    /// A number typed by hand: `enter` adds it.
    Typed,
    /// The agent of an AI broadcast.
    Agent,
}

/// The open test broadcast form.
#[derive(Debug, Clone, PartialEq)]
pub struct TestForm {
    pub kind: ParentKind,
    pub id: Uuid,
    pub name: String,
    /// `[test_broadcast] allowlist`, with whether each is marked.
    pub allowlist: Vec<(String, bool)>,
    /// Numbers typed and added (validated against the allowlist when added).
    pub typed_numbers: Vec<String>,
    pub cursor: usize,
    pub focus: FormFocus,
    pub typed: TypedText,
    pub agent: TypedText,
    pub max_calls: u8,
    /// Why the last key did not do what it asked.
    pub error: Option<String>,
}

impl TestForm {
    pub fn new(kind: ParentKind, id: Uuid, name: String, allowlist: &[String], max: u8) -> Self {
        TestForm {
            kind,
            id,
            name,
            allowlist: allowlist.iter().map(|n| (n.clone(), false)).collect(),
            typed_numbers: Vec::new(),
            cursor: 0,
            focus: FormFocus::Numbers,
            typed: TypedText::default(),
            agent: TypedText::default(),
            max_calls: max,
            error: None,
        }
    }

    /// The numbers to call, in the order shown.
    pub fn destinations(&self) -> Vec<String> {
        self.allowlist
            .iter()
            .filter(|(_, marked)| *marked)
            .map(|(n, _)| n.clone())
            .chain(self.typed_numbers.iter().cloned())
            .collect()
    }

    /// A campaign dials with its own agent: only a broadcast asks for one.
    pub fn asks_agent(&self) -> bool {
        self.kind == ParentKind::Broadcast
    }

    /// The next field (`tab`).
    pub fn next_focus(&mut self) {
        self.focus = match self.focus {
            FormFocus::Numbers => FormFocus::Typed,
            FormFocus::Typed if self.asks_agent() => FormFocus::Agent,
            FormFocus::Typed | FormFocus::Agent => FormFocus::Numbers,
        };
    }

    pub fn move_cursor(&mut self, down: bool) {
        let last = self.allowlist.len().saturating_sub(1);
        self.cursor = if down {
            (self.cursor + 1).min(last)
        } else {
            self.cursor.saturating_sub(1)
        };
    }

    /// `space` on the allowlist: marks or unmarks the number under the cursor.
    pub fn toggle(&mut self) {
        let room = self.room();
        let Some((_, marked)) = self.allowlist.get_mut(self.cursor) else {
            return;
        };
        if !*marked && room == 0 {
            self.error = Some(self.too_many());
            return;
        }
        *marked = !*marked;
        self.error = None;
    }

    /// `enter` in the typed field: the number is checked (E.164, allowlisted) and added.
    pub fn add_typed(&mut self) {
        let text = self.typed.value().trim().to_string();
        if text.is_empty() {
            return;
        }
        let allowlist: Vec<String> = self.allowlist.iter().map(|(n, _)| n.clone()).collect();
        let number = match validate_destinations(&[text], &allowlist, u8::MAX) {
            Ok(mut numbers) => numbers.remove(0),
            Err(why) => {
                self.error = Some(why.to_string());
                return;
            }
        };
        if self
            .allowlist
            .iter()
            .any(|(n, marked)| *n == number && *marked)
        {
            self.error = None;
            self.typed = TypedText::default();
            return;
        }
        if self.room() == 0 {
            self.error = Some(self.too_many());
            return;
        }
        match self.allowlist.iter_mut().find(|(n, _)| *n == number) {
            Some(entry) => entry.1 = true,
            None => self.typed_numbers.push(number),
        }
        self.typed = TypedText::default();
        self.error = None;
    }

    /// The destinations, checked as the plan will check them; the message when not.
    pub fn checked(&self) -> Result<Vec<String>, String> {
        let numbers = self.destinations();
        if numbers.is_empty() {
            return Err("choose a number first: space marks one of the allowlist".to_string());
        }
        let allowlist: Vec<String> = self.allowlist.iter().map(|(n, _)| n.clone()).collect();
        validate_destinations(&numbers, &allowlist, self.max_calls).map_err(|e| e.to_string())
    }

    /// The agent typed, if any.
    pub fn agent_id(&self) -> Option<String> {
        let agent = self.agent.value().trim();
        (self.asks_agent() && !agent.is_empty()).then(|| agent.to_string())
    }

    fn room(&self) -> usize {
        usize::from(self.max_calls).saturating_sub(self.destinations().len())
    }

    fn too_many(&self) -> String {
        format!(
            "at most {} numbers per test broadcast ([test_broadcast] max_calls)",
            self.max_calls
        )
    }
}
