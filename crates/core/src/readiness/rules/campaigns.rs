//! Campaigns (each draft/active one, or the focused one): agent set and present at
//! Retell [B]; a Retell number answers or calls with that agent [B]; leads attached
//! [B]; the agent's webhook URL (warn); a current contact release ([B] unless draft);
//! budget not paused [B].

use crate::domain::Campaign;
use crate::readiness::rules::{
    DATABASE, RETELL, Unavailable, answer, campaigns_in_focus, clean, database, no_database,
    present,
};
use crate::readiness::snapshot::{DatabaseFacts, Focus, Observed, Snapshot};
use crate::readiness::{Area, Check, Status};

const AREA: Area = Area::Campaigns;
const RELEASE_FUNCTION: &str = "get_campaign_contact_release_status";

pub fn check_campaigns(snap: &Snapshot) -> Vec<Check> {
    let Some(db) = database(snap) else {
        return vec![no_database(snap, AREA, "campaign.database", true)];
    };
    let mut checks = Vec::new();
    if let Focus::Campaign(id) = snap.focus
        && !db.campaigns.iter().any(|c| c.id == id)
    {
        checks.push(
            Check::new(
                AREA,
                format!("campaign.found:{id}"),
                Status::Fail,
                format!("no draft, active or paused campaign with id {id} in scope"),
                snap.now,
            )
            .blocking(true)
            .with_fix(
                "check the id (and --user/--org scope); completed campaigns are not launched",
            ),
        );
    }
    for campaign in campaigns_in_focus(snap, db) {
        checks.extend(campaign_checks(snap, db, campaign));
    }
    checks
}

/// Builds one campaign's checks with its id, subject and timestamp.
struct Ctx<'a> {
    snap: &'a Snapshot,
    campaign: &'a Campaign,
    subject: String,
}

impl Ctx<'_> {
    fn check(&self, name: &str, status: Status, reason: impl AsRef<str>) -> Check {
        Check::new(
            AREA,
            format!("campaign.{name}:{}", self.campaign.id),
            status,
            format!("'{}': {}", self.subject, reason.as_ref()),
            self.snap.now,
        )
        .with_subject(self.subject.clone())
    }

    fn unavailable(&self, name: &str, u: Unavailable) -> Check {
        let check = self.check(name, u.status, u.reason);
        match u.fix {
            Some(fix) => check.with_fix(fix),
            None => check,
        }
    }
}

fn campaign_checks(snap: &Snapshot, db: &DatabaseFacts, campaign: &Campaign) -> Vec<Check> {
    let ctx = Ctx {
        snap,
        campaign,
        subject: clean(&campaign.name),
    };
    vec![
        agent(&ctx).blocking(true),
        agent_number(&ctx).blocking(true),
        leads(&ctx).blocking(true),
        webhook(&ctx, db),
        contact_release(&ctx, db),
        budget(&ctx, db).blocking(true),
    ]
}

fn agent(ctx: &Ctx) -> Check {
    let Some(agent_id) = present(&ctx.campaign.agent_id) else {
        return ctx
            .check(
                "agent",
                Status::Fail,
                "no agent set (campaigns.agent_id is empty)",
            )
            .with_fix("choose the campaign's Retell agent in the platform");
    };
    match answer(&ctx.snap.retell.agents, &RETELL) {
        Err(u) => ctx.unavailable("agent", u),
        Ok(agents) if agents.iter().any(|a| a.agent_id == agent_id) => ctx.check(
            "agent",
            Status::Pass,
            format!("agent {} exists at Retell", clean(agent_id)),
        ),
        Ok(_) => ctx
            .check(
                "agent",
                Status::Fail,
                format!("agent {} does not exist at Retell", clean(agent_id)),
            )
            .with_fix("set campaigns.agent_id to an existing Retell agent, or restore the agent in Retell"),
    }
}

fn agent_number(ctx: &Ctx) -> Check {
    let Some(agent_id) = present(&ctx.campaign.agent_id) else {
        return ctx.check(
            "agent_number",
            Status::Fail,
            "no agent set, so no number can carry it",
        );
    };
    let numbers = match answer(&ctx.snap.retell.numbers, &RETELL) {
        Ok(numbers) => numbers,
        Err(u) => return ctx.unavailable("agent_number", u),
    };
    let carrying = numbers.iter().find(|n| {
        n.outbound_agents().contains(&agent_id) || n.inbound_agents().contains(&agent_id)
    });
    match carrying {
        Some(number) => ctx.check(
            "agent_number",
            Status::Pass,
            format!("Retell number {} uses agent {}", number.phone_number, clean(agent_id)),
        ),
        None => ctx
            .check(
                "agent_number",
                Status::Fail,
                format!("no Retell number has agent {} as inbound or outbound agent", clean(agent_id)),
            )
            .with_fix(format!(
                "assign the agent to a Retell number: `launchdeck fix-outbound-agent --number E164 --agent {}`",
                clean(agent_id)
            )),
    }
}

fn leads(ctx: &Ctx) -> Check {
    let count = ctx.campaign.lead_count;
    if count > 0 {
        return ctx.check(
            "leads",
            Status::Pass,
            format!("{} attached", super::count(count, "lead")),
        );
    }
    ctx.check(
        "leads",
        Status::Fail,
        "no leads attached (campaign_leads is empty)",
    )
    .with_fix("add leads to the campaign in the platform")
}

fn webhook(ctx: &Ctx, db: &DatabaseFacts) -> Check {
    let Some(agent_id) = present(&ctx.campaign.agent_id) else {
        return ctx.check("webhook", Status::Warn, "no agent set, so no webhook URL");
    };
    let at_retell = ctx
        .snap
        .retell
        .agents
        .ok()
        .and_then(|agents| agents.iter().find(|a| a.agent_id == agent_id))
        .and_then(|a| present(&a.webhook_url).map(str::to_string));
    let in_db = db
        .retell_agents
        .iter()
        .find(|row| row.retell_agent_id == agent_id)
        .and_then(|row| present(&row.webhook_url).map(str::to_string));
    match (at_retell, in_db) {
        (Some(_), _) => ctx.check("webhook", Status::Pass, "the agent's webhook URL is set at Retell"),
        (None, Some(_)) => ctx.check(
            "webhook",
            Status::Pass,
            "the agent's webhook URL is set (retell_agents.webhook_url)",
        ),
        (None, None) => ctx
            .check(
                "webhook",
                Status::Warn,
                format!("agent {} has no webhook URL: call outcomes will not reach the platform", clean(agent_id)),
            )
            .with_fix("set the agent's webhook URL in Retell to the platform's retell-call-webhook function"),
    }
}

fn contact_release(ctx: &Ctx, db: &DatabaseFacts) -> Check {
    // Without a current release the platform refuses the calls: blocking unless a draft.
    let draft = ctx.campaign.status == "draft";
    let missing_status = if draft { Status::Warn } else { Status::Fail };
    let check = release_check(ctx, db, missing_status);
    check.blocking(!draft && !is_not_applicable(db, ctx))
}

fn is_not_applicable(db: &DatabaseFacts, ctx: &Ctx) -> bool {
    matches!(db.missing_functions, Observed::NotApplicable(_))
        || matches!(
            db.contact_releases.get(&ctx.campaign.id),
            Some(Observed::NotApplicable(_))
        )
}

fn release_check(ctx: &Ctx, db: &DatabaseFacts, missing_status: Status) -> Check {
    let name = "contact_release";
    if let Observed::NotApplicable(why) = &db.missing_functions {
        return ctx.check(
            name,
            Status::Unknown,
            format!("not applicable: {}", clean(why)),
        );
    }
    if db
        .missing_functions
        .ok()
        .is_some_and(|missing| missing.iter().any(|f| f == RELEASE_FUNCTION))
    {
        return ctx
            .check(
                name,
                Status::Unknown,
                format!("{RELEASE_FUNCTION}() does not exist in this database"),
            )
            .with_fix("apply the platform's contact-release migrations");
    }
    let Some(observed) = db.contact_releases.get(&ctx.campaign.id) else {
        return ctx
            .check(name, Status::Unknown, "contact-release status was not read")
            .with_fix("press R to re-run the checks");
    };
    let release = match answer(observed, &DATABASE) {
        Ok(release) => release,
        Err(u) => return ctx.unavailable(name, u),
    };
    let fix = "activate a current contact release for the campaign through the platform's release process (campaign_contact_releases)";
    match release.release_state.as_str() {
        "current_release_present" => {
            let stage = release
                .release_stage
                .as_deref()
                .map(clean)
                .unwrap_or_else(|| "?".into());
            let members = match (release.cohort_member_count, release.cohort_limit) {
                (Some(count), Some(limit)) => format!(", {count}/{limit} leads"),
                _ => String::new(),
            };
            let expires = release
                .release_expires_at
                .map(|at| format!(", expires {}", at.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default();
            ctx.check(
                name,
                Status::Pass,
                format!("current contact release ({stage}{members}{expires})"),
            )
        }
        "current_release_cohort_invalid" => ctx
            .check(
                name,
                missing_status,
                "the current contact release's cohort is invalid: the platform refuses the calls",
            )
            .with_fix(fix),
        "latest_release_expired_or_revoked" => ctx
            .check(
                name,
                missing_status,
                "the latest contact release expired or was revoked: the platform refuses the calls",
            )
            .with_fix(fix),
        "no_release" => ctx
            .check(
                name,
                missing_status,
                "no contact release: the platform refuses the calls",
            )
            .with_fix(fix),
        other => ctx
            .check(
                name,
                missing_status,
                format!("unrecognised contact-release state '{}'", clean(other)),
            )
            .with_fix(fix),
    }
}

fn budget(ctx: &Ctx, db: &DatabaseFacts) -> Check {
    let campaign = ctx.campaign;
    let paused = db.budget_settings.iter().find(|b| {
        b.is_paused
            && b.user_id == campaign.user_id
            && b.campaign_id.is_none_or(|id| id == campaign.id)
    });
    let Some(pause) = paused else {
        return ctx.check("budget", Status::Pass, "budget not paused");
    };
    let scope = if pause.campaign_id.is_some() {
        "for this campaign"
    } else {
        "for the owner (user-wide)"
    };
    let since = pause
        .paused_at
        .map(|at| format!(" since {}", at.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default();
    let why = pause
        .pause_reason
        .as_deref()
        .map(|r| format!(": {}", clean(r)))
        .unwrap_or_default();
    ctx.check("budget", Status::Fail, format!("budget paused {scope}{since}{why}"))
        .with_fix("review the spend, then lift the pause in the platform's budget settings (budget_settings.is_paused = false)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::rules::fixture::{self, AGENT, CAMPAIGN, USER};
    use crate::readiness::snapshot::{BudgetSetting, ContactRelease, FailureKind};

    fn find(snap: &Snapshot, name: &str) -> Check {
        let wanted = format!("campaign.{name}:{CAMPAIGN}");
        check_campaigns(snap)
            .into_iter()
            .find(|c| c.id == wanted)
            .unwrap_or_else(|| panic!("no check {wanted}"))
    }

    fn campaign(snap: &mut Snapshot) -> &mut Campaign {
        &mut fixture::db(snap).campaigns[0]
    }

    #[test]
    fn healthy_campaign_passes() {
        let checks = check_campaigns(&fixture::healthy());
        assert_eq!(checks.len(), 6);
        let bad: Vec<_> = checks.iter().filter(|c| c.status != Status::Pass).collect();
        assert!(bad.is_empty(), "{bad:#?}");
    }

    #[test]
    fn agent_table() {
        let mut snap = fixture::healthy();
        campaign(&mut snap).agent_id = None;
        let check = find(&snap, "agent");
        assert_eq!((check.status, check.blocking), (Status::Fail, true));
        assert_eq!(find(&snap, "agent_number").status, Status::Fail);

        let mut snap = fixture::healthy();
        campaign(&mut snap).agent_id = Some("agent_gone".into());
        assert_eq!(find(&snap, "agent").status, Status::Fail);
        assert_eq!(find(&snap, "agent_number").status, Status::Fail);

        let mut snap = fixture::healthy();
        snap.retell.agents = Observed::failed(FailureKind::Unavailable, "500");
        let check = find(&snap, "agent");
        assert_eq!((check.status, check.blocking), (Status::Unknown, true));
        assert!(!snap_ready(&snap));
    }

    fn snap_ready(snap: &Snapshot) -> bool {
        !check_campaigns(snap).iter().any(Check::blocks_launch)
    }

    #[test]
    fn agent_number_by_inbound_or_deprecated_fields() {
        let mut snap = fixture::healthy();
        if let Observed::Ok(numbers) = &mut snap.retell.numbers {
            for n in numbers.iter_mut() {
                n.outbound_agent_ids.clear();
                n.inbound_agent_ids.clear();
            }
            numbers[0].deprecated_inbound_agent_id = Some(AGENT.into());
        }
        assert_eq!(find(&snap, "agent_number").status, Status::Pass);
        if let Observed::Ok(numbers) = &mut snap.retell.numbers {
            numbers[0].deprecated_inbound_agent_id = None;
        }
        let check = find(&snap, "agent_number");
        assert_eq!((check.status, check.blocking), (Status::Fail, true));
    }

    #[test]
    fn leads_and_webhook() {
        let mut snap = fixture::healthy();
        campaign(&mut snap).lead_count = 0;
        assert_eq!(find(&snap, "leads").status, Status::Fail);

        // webhook known only from the DB row still passes
        if let Observed::Ok(agents) = &mut snap.retell.agents {
            agents[0].webhook_url = None;
        }
        assert_eq!(find(&snap, "webhook").status, Status::Pass);
        fixture::db(&mut snap).retell_agents[0].webhook_url = Some(" ".into());
        let check = find(&snap, "webhook");
        assert_eq!((check.status, check.blocking), (Status::Warn, false));
    }

    #[test]
    fn contact_release_table() {
        let release = |state: &str| {
            Observed::Ok(ContactRelease {
                release_state: state.into(),
                ..ContactRelease::default()
            })
        };
        // (campaign status, release, status, blocking)
        let cases = [
            (
                "active",
                release("current_release_present"),
                Status::Pass,
                true,
            ),
            ("active", release("no_release"), Status::Fail, true),
            (
                "active",
                release("latest_release_expired_or_revoked"),
                Status::Fail,
                true,
            ),
            (
                "active",
                release("current_release_cohort_invalid"),
                Status::Fail,
                true,
            ),
            ("draft", release("no_release"), Status::Warn, false),
            (
                "draft",
                release("current_release_present"),
                Status::Pass,
                false,
            ),
            (
                "active",
                Observed::failed(FailureKind::Timeout, "statement timeout"),
                Status::Unknown,
                true,
            ),
            (
                "active",
                Observed::NotApplicable("SQLite demo".into()),
                Status::Unknown,
                false,
            ),
        ];
        for (status, observed, want, blocking) in cases {
            let mut snap = fixture::healthy();
            campaign(&mut snap).status = status.into();
            fixture::db(&mut snap)
                .contact_releases
                .insert(CAMPAIGN, observed.clone());
            let check = find(&snap, "contact_release");
            assert_eq!(
                (check.status, check.blocking),
                (want, blocking),
                "{status} {observed:?}"
            );
        }
        let mut snap = fixture::healthy();
        fixture::db(&mut snap).missing_functions = Observed::Ok(vec![RELEASE_FUNCTION.into()]);
        let check = find(&snap, "contact_release");
        assert_eq!((check.status, check.blocking), (Status::Unknown, true));
    }

    #[test]
    fn budget_pause_table() {
        let setting = |campaign_id, paused| BudgetSetting {
            user_id: USER,
            campaign_id,
            is_paused: paused,
            paused_at: None,
            pause_reason: Some("daily limit reached".into()),
        };
        let other_campaign = uuid::Uuid::from_u128(0xc9);
        let cases = [
            (vec![setting(None, false)], Status::Pass),
            (vec![setting(None, true)], Status::Fail),
            (vec![setting(Some(CAMPAIGN), true)], Status::Fail),
            (vec![setting(Some(other_campaign), true)], Status::Pass),
        ];
        for (settings, want) in cases {
            let mut snap = fixture::healthy();
            fixture::db(&mut snap).budget_settings = settings.clone();
            let check = find(&snap, "budget");
            assert_eq!((check.status, check.blocking), (want, true), "{settings:?}");
            if want == Status::Fail {
                assert!(check.reason.contains("daily limit reached"));
            }
        }
    }

    #[test]
    fn paused_campaigns_are_checked_only_when_focused() {
        let mut snap = fixture::healthy();
        campaign(&mut snap).status = "paused".into();
        assert!(check_campaigns(&snap).is_empty());
        snap.focus = Focus::Campaign(CAMPAIGN);
        assert_eq!(check_campaigns(&snap).len(), 6);
        snap.focus = Focus::Campaign(uuid::Uuid::from_u128(0xdead));
        let checks = check_campaigns(&snap);
        assert_eq!(checks.len(), 1);
        assert!(checks[0].id.starts_with("campaign.found:"));
        assert!(checks[0].blocks_launch());
    }
}
