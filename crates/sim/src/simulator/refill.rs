//! Topping up queues that run low, as an operator uploading the next list would: new
//! `pending` broadcast rows, and new leads enrolled in the campaign with their
//! `dialing_queues` rows. A demo left running never runs out of calls.

use rand::Rng;
use rand::rngs::StdRng;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::{Sim, bump, db};

const FIRST_NAMES: &[&str] = &[
    "Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kara",
    "Liam", "Mei", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
];
const LAST_NAMES: &[&str] = &[
    "Alvarez", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nguyen", "Okafor", "Patel", "Reyes", "Schmidt", "Tanaka",
    "Walsh",
];
const AREA_CODES: &[&str] = &[
    "212", "305", "312", "404", "415", "512", "617", "702", "786", "206",
];

/// A lead's number: `+1` area code, `555`, four digits.
fn phone(rng: &mut StdRng) -> String {
    let area = AREA_CODES[rng.random_range(0..AREA_CODES.len())];
    format!("+1{area}555{:04}", rng.random_range(0..10_000))
}

fn name(rng: &mut StdRng) -> (&'static str, &'static str) {
    (
        FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
        LAST_NAMES[rng.random_range(0..LAST_NAMES.len())],
    )
}

impl Sim {
    pub(super) async fn refill(&mut self) {
        if let Err(e) = self.refill_broadcasts().await {
            self.db_error("topping up broadcast queues", &e);
        }
        if let Err(e) = self.refill_campaigns().await {
            self.db_error("topping up campaign queues", &e);
        }
    }

    async fn refill_broadcasts(&mut self) -> Result<(), sqlx::Error> {
        let low: Vec<(String, i64)> = sqlx::query_as(
            "SELECT b.id, COALESCE(b.max_attempts, 1) FROM voice_broadcasts b
             WHERE b.status = 'active'
               AND (SELECT count(*) FROM broadcast_queue q
                    WHERE q.broadcast_id = b.id AND q.status = 'pending'
                      AND q.scheduled_at <= ?2) < ?1",
        )
        .bind(self.config.refill_below)
        .bind(db::now())
        .fetch_all(&self.pool)
        .await?;
        for (broadcast_id, max_attempts) in low {
            let rows = self.config.refill_batch;
            let people: Vec<(String, String)> = (0..rows)
                .map(|_| {
                    let (first, last) = name(&mut self.rng);
                    (phone(&mut self.rng), format!("{first} {last}"))
                })
                .collect();
            let now = db::now();
            let mut tx = db::begin_write(&self.pool).await?;
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO broadcast_queue (id, broadcast_id, phone_number, lead_name, status,
                     attempts, max_attempts, scheduled_at, created_at, updated_at) ",
            );
            insert.push_values(&people, |mut row, (phone, lead_name)| {
                row.push_bind(Uuid::new_v4().to_string())
                    .push_bind(&broadcast_id)
                    .push_bind(phone)
                    .push_bind(lead_name)
                    .push_bind("pending")
                    .push_bind(0_i64)
                    .push_bind(max_attempts)
                    .push_bind(&now)
                    .push_bind(&now)
                    .push_bind(&now);
            });
            insert.build().persistent(false).execute(&mut *tx).await?;
            sqlx::query(
                "UPDATE voice_broadcasts SET total_leads = COALESCE(total_leads, 0) + ?1 WHERE id = ?2",
            )
            .bind(rows as i64)
            .bind(&broadcast_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            bump(&self.stats.refilled_rows, rows as u64);
            tracing::info!("simulator: added {rows} rows to broadcast {broadcast_id}");
        }
        Ok(())
    }

    async fn refill_campaigns(&mut self) -> Result<(), sqlx::Error> {
        let low: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT c.id, c.user_id, c.organization_id, c.max_attempts FROM campaigns c
             WHERE c.status = 'active'
               AND (SELECT count(*) FROM dialing_queues d
                    WHERE d.campaign_id = c.id AND d.status = 'pending'
                      AND d.scheduled_at <= ?2) < ?1",
        )
        .bind(self.config.refill_below)
        .bind(db::now())
        .fetch_all(&self.pool)
        .await?;
        for (campaign_id, user_id, org_id, max_attempts) in low {
            let added = self
                .enroll_new_leads(&campaign_id, &user_id, &org_id, max_attempts)
                .await?;
            bump(&self.stats.refilled_rows, added as u64);
            tracing::info!("simulator: enrolled {added} new leads in campaign {campaign_id}");
        }
        Ok(())
    }

    /// New leads (numbers already taken by this owner are skipped), enrolled, queued.
    async fn enroll_new_leads(
        &mut self,
        campaign_id: &str,
        user_id: &str,
        org_id: &str,
        max_attempts: i64,
    ) -> Result<usize, sqlx::Error> {
        let leads: Vec<(String, String, &str, &str)> = (0..self.config.refill_batch)
            .map(|_| {
                let (first, last) = name(&mut self.rng);
                (
                    Uuid::new_v4().to_string(),
                    phone(&mut self.rng),
                    first,
                    last,
                )
            })
            .collect();
        let now = db::now();
        let mut tx = db::begin_write(&self.pool).await?;
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT OR IGNORE INTO leads (id, user_id, organization_id, phone_number,
                 phone_number_normalized, first_name, last_name, status, lead_source,
                 created_at, updated_at) ",
        );
        insert.push_values(&leads, |mut row, (id, phone, first, last)| {
            row.push_bind(id)
                .push_bind(user_id)
                .push_bind(org_id)
                .push_bind(phone)
                .push_bind(phone)
                .push_bind(*first)
                .push_bind(*last)
                .push_bind("new")
                .push_bind("demo_list_upload")
                .push_bind(&now)
                .push_bind(&now);
        });
        insert.push(" RETURNING id, phone_number");
        let inserted: Vec<(String, String)> = insert
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *tx)
            .await?;
        if inserted.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }
        let mut enroll = QueryBuilder::<Sqlite>::new(
            "INSERT INTO campaign_leads (id, campaign_id, lead_id, added_at) ",
        );
        enroll.push_values(&inserted, |mut row, (lead_id, _)| {
            row.push_bind(Uuid::new_v4().to_string())
                .push_bind(campaign_id)
                .push_bind(lead_id)
                .push_bind(&now);
        });
        enroll.build().persistent(false).execute(&mut *tx).await?;
        let mut queue = QueryBuilder::<Sqlite>::new(
            "INSERT INTO dialing_queues (id, campaign_id, lead_id, phone_number, priority, status,
                 scheduled_at, attempts, max_attempts, created_at, updated_at) ",
        );
        queue.push_values(&inserted, |mut row, (lead_id, phone)| {
            row.push_bind(Uuid::new_v4().to_string())
                .push_bind(campaign_id)
                .push_bind(lead_id)
                .push_bind(phone)
                .push_bind(1_i64)
                .push_bind("pending")
                .push_bind(&now)
                .push_bind(0_i64)
                .push_bind(max_attempts)
                .push_bind(&now)
                .push_bind(&now);
        });
        queue.build().persistent(false).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(inserted.len())
    }
}
