//! The files of the built-in catalogue, compiled in, in the order they are applied. Each
//! region's areas, spots and places are kept in files of their own (`data/<region>/`).

macro_rules! region {
    ($region:literal) => {
        [
            (concat!("data/", $region, "/areas.csv"), include_str!(concat!("../../data/", $region, "/areas.csv"))),
            (concat!("data/", $region, "/spots.csv"), include_str!(concat!("../../data/", $region, "/spots.csv"))),
            (concat!("data/", $region, "/places.csv"), include_str!(concat!("../../data/", $region, "/places.csv"))),
        ]
    };
}

const REGIONS: [[(&str, &str); 3]; 6] = [
    region!("seoul-north"),
    region!("seoul-south"),
    region!("busan"),
    region!("provinces"),
    region!("jeju"),
    region!("gangwon-incheon-gyeonggi"),
];

pub(super) static FILES: std::sync::LazyLock<Vec<(&'static str, &'static str)>> = std::sync::LazyLock::new(|| {
    std::iter::once(("data/cities.csv", include_str!("../../data/cities.csv"))).chain(REGIONS.iter().flatten().copied()).collect()
});
