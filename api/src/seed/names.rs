//! Plausible Chinese names, places and shop names for the demo city.

use super::rng::Rng;

/// Common surnames, most frequent first.
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武", "戴",
    "莫", "孔", "向", "汤", "欧阳", "司马",
];

const MALE_CHARS: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁", "龙", "林", "阳", "建", "国", "文",
    "志", "海", "东", "峰", "亮", "成", "博", "晨", "睿", "轩", "泽", "子", "天", "家", "荣", "德",
    "祥", "耀",
];

const FEMALE_CHARS: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "玲", "燕", "桂", "英", "萍", "红", "梅",
    "琳", "雪", "婷", "慧", "莉", "颖", "洁", "倩", "丹", "晶", "欣", "怡", "雨", "佳", "琪", "萱",
    "涵", "梓", "诗", "思", "悦", "兰", "凤", "春",
];

/// A foreign resident's country: its codes, the prefix its passports'
/// numbers are drawn with, and names as they stand in its passports.
pub struct Nationality {
    /// ISO 3166-1 numeric, as the permanent residence ID carries it.
    pub numeric: &'static str,
    pub alpha3: &'static str,
    pub passport_prefix: &'static str,
    pub male: &'static [&'static str],
    pub female: &'static [&'static str],
}

const NATIONALITIES: &[(Nationality, f64)] = &[
    (
        Nationality {
            numeric: "410",
            alpha3: "KOR",
            passport_prefix: "M",
            male: &["KIM MINJUN", "LEE SEOJUN", "PARK DOYUN"],
            female: &["KIM SEOYEON", "LEE JIWOO", "CHOI HAEUN"],
        },
        25.0,
    ),
    (
        Nationality {
            numeric: "704",
            alpha3: "VNM",
            passport_prefix: "C",
            male: &["NGUYEN VAN AN", "TRAN VAN MINH", "LE VAN HUNG"],
            female: &["NGUYEN THI LAN", "TRAN THI HOA", "PHAM THI MAI"],
        },
        20.0,
    ),
    (
        Nationality {
            numeric: "392",
            alpha3: "JPN",
            passport_prefix: "TZ",
            male: &["SATO HARUTO", "SUZUKI REN", "TAKAHASHI SOTA"],
            female: &["TANAKA YUI", "ITO HINA", "WATANABE AOI"],
        },
        15.0,
    ),
    (
        Nationality {
            numeric: "840",
            alpha3: "USA",
            passport_prefix: "5",
            male: &["James SMITH", "Michael JOHNSON", "David BROWN"],
            female: &["Mary WILLIAMS", "Jennifer JONES", "Emily DAVIS"],
        },
        15.0,
    ),
    (
        Nationality {
            numeric: "643",
            alpha3: "RUS",
            passport_prefix: "75",
            male: &["Ivan PETROV", "Dmitry IVANOV", "Sergei SMIRNOV"],
            female: &["Anna PETROVA", "Olga IVANOVA", "Elena SMIRNOVA"],
        },
        10.0,
    ),
    (
        Nationality {
            numeric: "276",
            alpha3: "DEU",
            passport_prefix: "C",
            male: &["Lukas MÜLLER", "Jonas SCHMIDT", "Felix WEBER"],
            female: &["Anna SCHNEIDER", "Lena FISCHER", "Marie WAGNER"],
        },
        8.0,
    ),
    (
        Nationality {
            numeric: "826",
            alpha3: "GBR",
            passport_prefix: "12",
            male: &["Oliver TAYLOR", "Harry WILSON", "George DAVIES"],
            female: &["Amelia EVANS", "Olivia THOMAS", "Isla ROBERTS"],
        },
        7.0,
    ),
];

pub fn person(rng: &mut Rng, male: bool) -> String {
    let surname = surname(rng);
    format!("{surname}{}", given_name(rng, male))
}

/// A surname, drawn with roughly the frequencies of the real ones.
pub fn surname(rng: &mut Rng) -> &'static str {
    let weights: Vec<f64> = (0..SURNAMES.len())
        .map(|rank| 1.0 / (rank as f64 + 4.0))
        .collect();
    SURNAMES[rng.weighted(&weights)]
}

/// A given name of one or two characters.
pub fn given_name(rng: &mut Rng, male: bool) -> String {
    let pool = if male { MALE_CHARS } else { FEMALE_CHARS };
    let mut name = (*rng.pick(pool)).to_owned();
    if rng.chance(0.7) {
        let second: &str = rng.pick::<&str>(pool);
        name.push_str(second);
    }
    name
}

/// A foreign resident's country, the commoner ones the likelier.
pub fn nationality(rng: &mut Rng) -> &'static Nationality {
    let weights: Vec<f64> = NATIONALITIES.iter().map(|(_, weight)| *weight).collect();
    &NATIONALITIES[rng.weighted(&weights)].0
}

/// A name as the foreigner's passport spells it, of their sex.
pub fn foreigner(rng: &mut Rng, nationality: &Nationality, male: bool) -> String {
    let pool = if male {
        nationality.male
    } else {
        nationality.female
    };
    (*rng.pick(pool)).to_owned()
}

/// An ethnicity with the demo city's proportions (Tujia live in the west of Yichang).
pub fn ethnicity(rng: &mut Rng) -> &'static str {
    const ETHNICITIES: &[(&str, f64)] = &[
        ("汉族", 93.0),
        ("土家族", 5.0),
        ("回族", 0.5),
        ("苗族", 0.5),
        ("满族", 0.5),
        ("蒙古族", 0.5),
    ];
    let weights: Vec<f64> = ETHNICITIES.iter().map(|(_, w)| *w).collect();
    ETHNICITIES[rng.weighted(&weights)].0
}

/// A mainland mobile number.
pub fn mobile(rng: &mut Rng) -> String {
    const PREFIXES: &[&str] = &[
        "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
        "156", "157", "158", "159", "177", "180", "181", "186", "187", "188", "189", "199",
    ];
    format!("{}{:08}", rng.pick(PREFIXES), rng.below(100_000_000))
}

/// Words that make community and road names.
const PLACE_HEADS: &[&str] = &[
    "东山", "西坝", "南湖", "北苑", "桃花", "柏临", "沙河", "葛洲", "云集", "学院", "白龙", "黄河",
    "长江", "江南", "果园", "城东", "夜明", "珍珠", "体育", "金缸", "宝塔", "万寿", "伍临", "花溪",
    "桔城", "中南", "紫阳", "隆康", "樵湖", "铁路", "绿萝", "夷陵", "胜利", "解放", "九码", "望洲",
    "磨基", "清江", "峡州", "福寿",
];
const PLACE_TAILS: &[&str] = &["路", "岭", "坪", "园", "苑", "湾", "桥"];

/// The `index`-th community name; distinct for every index below 280.
pub fn community(index: usize) -> String {
    let head = PLACE_HEADS[index % PLACE_HEADS.len()];
    let tail = PLACE_TAILS[(index / PLACE_HEADS.len()) % PLACE_TAILS.len()];
    format!("{head}{tail}社区")
}

pub fn road(rng: &mut Rng) -> String {
    format!(
        "{}{}",
        rng.pick(PLACE_HEADS),
        rng.pick(&["路", "大道", "街", "巷"])
    )
}

/// The name of an organisation of this kind: an individual business after
/// its owner's surname and its district (西陵区王记面馆), a company by a
/// trade name of the city (宜昌学院商贸有限公司).
pub fn organisation(rng: &mut Rng, kind: OrgWords, owner_surname: &str, district: &str) -> String {
    let words: &[&str] = match kind {
        OrgWords::Food => &[
            "面馆",
            "餐馆",
            "小吃店",
            "烧烤店",
            "早餐店",
            "火锅店",
            "奶茶店",
            "卤菜店",
        ],
        OrgWords::Retail => &[
            "便利店",
            "超市",
            "水果店",
            "五金店",
            "药房",
            "服装店",
            "粮油店",
        ],
        OrgWords::Service => &[
            "理发店",
            "洗衣店",
            "维修部",
            "棋牌室",
            "快递站",
            "家政服务部",
        ],
        OrgWords::Company => &[
            "商贸有限公司",
            "科技有限公司",
            "物业服务有限公司",
            "建筑工程有限公司",
        ],
    };
    match kind {
        OrgWords::Company => format!("宜昌{}{}", rng.pick(PLACE_HEADS), rng.pick(words)),
        _ => format!("{district}{owner_surname}记{}", rng.pick(words)),
    }
}

#[derive(Debug, Clone, Copy)]
pub enum OrgWords {
    Food,
    Retail,
    Service,
    Company,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn community_names_are_distinct() {
        let names: std::collections::HashSet<String> = (0..121).map(community).collect();
        assert_eq!(names.len(), 121);
    }

    #[test]
    fn people_have_two_to_four_characters() {
        let mut rng = Rng::new(3);
        for _ in 0..1000 {
            let count = person(&mut rng, true).chars().count();
            assert!((2..=4).contains(&count));
        }
    }
}
