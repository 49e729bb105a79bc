//! Names and places for leads and queue rows.

use super::rng::Gen;

const FIRST_NAMES: &[&str] = &[
    "James",
    "Maria",
    "Robert",
    "Linda",
    "Michael",
    "Patricia",
    "David",
    "Jennifer",
    "William",
    "Elizabeth",
    "Carlos",
    "Aisha",
    "Daniel",
    "Susan",
    "Kevin",
    "Priya",
    "Thomas",
    "Karen",
    "Anthony",
    "Nancy",
    "Jamal",
    "Emily",
    "Luis",
    "Grace",
    "Brian",
    "Olivia",
    "Hiro",
    "Fatima",
    "Steven",
    "Rachel",
    "Marcus",
    "Sofia",
    "Andrew",
    "Chloe",
    "Tyrone",
    "Mei",
    "Joshua",
    "Hannah",
    "Diego",
    "Laura",
];

const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Patel",
];

const COMPANIES: &[&str] = &[
    "Acme Roofing",
    "Blue Ridge Dental",
    "Cedar Logistics",
    "Delta Print Co",
    "Evergreen Farms",
    "Foxglove Bakery",
    "Granite Auto",
    "Harbor Insurance",
];

/// (state, city, IANA timezone, ZIP prefix)
pub(super) const PLACES: &[(&str, &str, &str, &str)] = &[
    ("CA", "San Jose", "America/Los_Angeles", "951"),
    ("CA", "Sacramento", "America/Los_Angeles", "958"),
    ("TX", "Austin", "America/Chicago", "787"),
    ("TX", "Houston", "America/Chicago", "770"),
    ("FL", "Orlando", "America/New_York", "328"),
    ("FL", "Tampa", "America/New_York", "336"),
    ("AZ", "Phoenix", "America/Phoenix", "850"),
    ("CO", "Denver", "America/Denver", "802"),
    ("NY", "Albany", "America/New_York", "122"),
    ("NJ", "Newark", "America/New_York", "071"),
    ("IL", "Naperville", "America/Chicago", "605"),
    ("GA", "Atlanta", "America/New_York", "303"),
    ("NC", "Raleigh", "America/New_York", "276"),
    ("NV", "Las Vegas", "America/Los_Angeles", "891"),
    ("MA", "Worcester", "America/New_York", "016"),
];

const STREETS: &[&str] = &[
    "Oak St",
    "Maple Ave",
    "Pine Rd",
    "Cedar Ln",
    "Elm Dr",
    "Sunset Blvd",
    "Lakeview Ct",
    "Hillcrest Way",
];

pub(super) struct Person {
    pub first_name: &'static str,
    pub last_name: &'static str,
}

impl Person {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }

    pub fn email(&self, serial: usize) -> String {
        format!(
            "{}.{}{}@mail.example",
            self.first_name.to_lowercase(),
            self.last_name.to_lowercase(),
            serial
        )
    }
}

pub(super) fn person(g: &mut Gen) -> Person {
    Person {
        first_name: g.pick(FIRST_NAMES),
        last_name: g.pick(LAST_NAMES),
    }
}

pub(super) fn company(g: &mut Gen) -> &'static str {
    g.pick(COMPANIES)
}

pub(super) fn street_address(g: &mut Gen) -> String {
    let number = g.int(100, 9899);
    format!("{number} {}", g.pick(STREETS))
}
