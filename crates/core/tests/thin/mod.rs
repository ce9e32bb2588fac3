//! The areas the catalogue cannot yet make a full day of, shared by the catalogue and grid tests.

/// Areas whose confirmed places cannot yet fill every daytime window by every transport: too
/// few restaurants within reach for both meals without doubling back, or nothing open in the
/// evening (docs/catalogue.md lists why for each). Their refusals are honest answers. The list
/// grows only when a corrected fact takes away what an area's days stood on (마곡); a release
/// run fails when a listed area plans every daytime window.
pub const THIN: &[&str] = &[
    "gapyeong",
    "anmok",
    "danyang",
    "suncheon",
    "andong",
    "hahoe",
    "yeosu",
    "eurwangni",
    "chuncheon",
    "pohang",
    "damyang",
    "ulsan",
    "jinju",
    "magok",
];
