//! Display labels in the users' language for every enum value of the
//! schema, so no frontend hard-codes 待核实 or 黄牌: Chinese (zh-CN) first,
//! English second.

use async_graphql::registry::MetaType;
use async_graphql::{Context, Enum, IntrospectionMode, Object, SimpleObject};
use entities::finding::FindingKind;
use sea_orm::{ActiveEnum, Iterable};

/// A language labels are given in.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum Locale {
    /// Simplified Chinese, as the users read it.
    #[default]
    ZhCn,
    /// English.
    EnUs,
}

/// The Chinese label of `value` of the enum `of`; error codes are labelled
/// the same in every family.
fn chinese(of: &str, value: &str) -> Option<&'static str> {
    if of.ends_with("ErrorCode") {
        return ERROR_CODES
            .iter()
            .find(|(code, _)| *code == value)
            .map(|(_, label)| *label);
    }
    if of == "FindingKind" {
        // A finding's name is the domain's: a case opened for it is titled
        // with it too.
        return FindingKind::iter()
            .find(|kind| kind.to_value().eq_ignore_ascii_case(value))
            .map(crate::domain::comparisons::title);
    }
    if of.ends_with("OrderField") {
        return ORDER_FIELDS
            .iter()
            .find(|(field, _)| *field == value)
            .map(|(_, label)| *label);
    }
    LABELS
        .iter()
        .find(|(enum_name, code, _)| *enum_name == of && *code == value)
        .map(|(_, _, label)| *label)
}

/// The English label: the value's name as words (`IN_PROGRESS` → "In
/// progress"), which the schema's names were chosen to read as.
fn english(value: &str) -> String {
    let words = value.to_lowercase().replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A label of `value` of the enum `of` in `locale`; a value without a
/// Chinese label (a test keeps there being none) reads in English.
pub fn label(of: &str, value: &str, locale: Locale) -> String {
    match locale {
        Locale::ZhCn => chinese(of, value).map_or_else(|| english(value), str::to_owned),
        Locale::EnUs => english(value),
    }
}

/// A time limit as a screen shows it.
pub fn time_limit_text(
    amount: i32,
    unit: entities::case_time_limit::TimeUnit,
    locale: Locale,
) -> String {
    use entities::case_time_limit::TimeUnit;
    match (locale, unit) {
        (Locale::ZhCn, TimeUnit::WorkingHours) => format!("{amount} 个工作小时"),
        (Locale::ZhCn, TimeUnit::WorkingDays) => format!("{amount} 个工作日"),
        (Locale::EnUs, TimeUnit::WorkingHours) => format!("{amount} working hours"),
        (Locale::EnUs, TimeUnit::WorkingDays) => format!("{amount} working days"),
        (Locale::ZhCn, TimeUnit::Hours) => format!("{amount} 小时"),
        (Locale::EnUs, TimeUnit::Hours) => format!("{amount} hours"),
    }
}

/// One enum value and its label.
#[derive(SimpleObject)]
pub struct EnumValueLabel {
    /// The value, as the schema names it.
    value: String,
    /// How a screen shows it.
    label: String,
}

/// The labels of one enum.
#[derive(SimpleObject)]
pub struct EnumLabels {
    /// The enum's name in the schema.
    name: String,
    /// Every value, in the schema's order.
    values: Vec<EnumValueLabel>,
}

#[derive(Default)]
pub struct LabelsQuery;

#[Object]
impl LabelsQuery {
    /// Display labels for the values of every enum of the schema (or of the
    /// enums named), in `locale`. Where introspection is turned off, only the
    /// enums named are answered: the list must not stand in for the schema.
    async fn labels(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The language; Chinese when left out.", default)] locale: Locale,
        #[graphql(desc = "Only these enums, by name; every enum when left out.")] enums: Option<
            Vec<String>,
        >,
    ) -> Vec<EnumLabels> {
        let registry = &ctx.schema_env.registry;
        let introspection = registry.introspection_mode != IntrospectionMode::Disabled;
        if !introspection && enums.is_none() {
            return Vec::new();
        }
        registry
            .types
            .values()
            .filter_map(|meta| match meta {
                MetaType::Enum {
                    name, enum_values, ..
                } if !name.starts_with("__")
                    && enums.as_ref().is_none_or(|wanted| wanted.contains(name)) =>
                {
                    Some(EnumLabels {
                        name: name.clone(),
                        values: enum_values
                            .keys()
                            .map(|value| EnumValueLabel {
                                value: value.clone(),
                                label: label(name, value, locale),
                            })
                            .collect(),
                    })
                }
                _ => None,
            })
            .collect()
    }
}

const ERROR_CODES: &[(&str, &str)] = &[
    ("INVALID", "内容无效"),
    ("REQUIRED", "必填"),
    ("TAKEN", "已被占用"),
    ("NOT_FOUND", "不存在或无权查看"),
    ("CONFLICT", "已被他人修改，请刷新后重试"),
    ("INVALID_STATE", "当前状态不允许此操作"),
    ("NOTHING_TO_CHANGE", "没有需要修改的内容"),
];

/// What lists are ordered by, labelled the same in every list.
const ORDER_FIELDS: &[(&str, &str)] = &[
    ("ID", "按创建顺序"),
    ("CODE", "按编码"),
    ("NAME", "按名称"),
    ("GRID", "按网格"),
    ("AREA", "按区域"),
    ("BUILDING", "按楼栋"),
    ("NUMBER", "按户号"),
    ("BIRTH_DATE", "按出生日期"),
    ("UPDATED_AT", "按更新时间"),
    ("PERMIT_EXPIRES_ON", "按证件到期日"),
    ("REPORTED_AT", "按上报时间"),
    ("SENT_AT", "按下发时间"),
    ("DEADLINE", "按办理时限"),
    ("EXPIRES_AT", "按到期时间"),
    ("ROLE", "按角色"),
    ("SUBJECT", "按授权对象"),
    ("RECORDED_AT", "按登记时间"),
    ("MOVED_ON", "按迁出日期"),
    ("VISITED_AT", "按走访时间"),
    ("VERSION", "按版本号"),
];

const LABELS: &[(&str, &str, &str)] = &[
    ("AreaLevel", "DISTRICT", "区"),
    ("AreaLevel", "STREET", "街道"),
    ("AreaLevel", "COMMUNITY", "社区"),
    ("AreaLevel", "GRID", "网格"),
    ("AssignmentState", "PENDING", "待签收"),
    ("AssignmentState", "ACKNOWLEDGED", "已签收"),
    ("AssignmentState", "IN_PROGRESS", "办理中"),
    ("AssignmentState", "COMPLETED", "已完成"),
    ("BuildingUse", "RESIDENTIAL", "住宅"),
    ("BuildingUse", "COMMERCIAL", "商业"),
    ("BuildingUse", "MIXED", "商住混合"),
    ("CallerKind", "USER", "用户"),
    ("CallerKind", "TOKEN", "接口令牌"),
    ("CareFlag", "ELDERLY_LIVING_ALONE", "独居老人"),
    ("CareFlag", "DISABILITY", "残疾人"),
    ("CareFlag", "LOW_INCOME", "低保对象"),
    ("CareFlag", "RELEASED_FROM_PRISON", "刑满释放人员"),
    ("CareFlag", "COMMUNITY_CORRECTION", "社区矫正对象"),
    ("CareFlag", "SEVERE_MENTAL_ILLNESS", "严重精神障碍患者"),
    ("CareFlag", "LEFT_BEHIND_CHILD", "留守儿童"),
    ("CareFlag", "VETERAN", "退役军人"),
    ("CaseMoveField", "NOTE", "说明"),
    ("CaseMoveField", "EVIDENCE", "照片或材料"),
    ("CaseMoveField", "CATEGORY_CODE", "案件小类"),
    ("CaseMoveField", "DEPARTMENT_ID", "处置部门"),
    ("CaseMoveField", "DEADLINE_AT", "申请的期限"),
    ("CaseMoveField", "SATISFACTION", "满意度"),
    ("CaseMoveField", "CARD", "黄牌或红牌"),
    ("CaseMoveField", "ABOUT_OR_PARTIES", "涉及对象或当事人"),
    ("PartySide", "APPLICANT", "申请人"),
    ("PartySide", "RESPONDENT", "被申请人"),
    ("PartySide", "OTHER", "其他当事人"),
    ("CaseRequest", "EXTENSION", "延期申请"),
    ("CaseRequest", "SUSPENSION", "挂起申请"),
    ("CaseSource", "GRID_WORKER", "网格员巡查"),
    ("CaseSource", "CITIZEN", "群众反映"),
    ("CaseSource", "HOTLINE", "热线转办"),
    ("CaseSource", "DEPARTMENT", "部门上报"),
    ("CaseSource", "STAFF", "工作人员上报"),
    ("CaseState", "REPORTED", "待核实"),
    ("CaseState", "VERIFIED", "已核实"),
    ("CaseState", "VOID", "已作废"),
    ("CaseState", "FILED", "已立案"),
    ("CaseState", "DISPATCHED", "已派遣"),
    ("CaseState", "IN_PROGRESS", "处置中"),
    ("CaseState", "SUSPENDED", "已挂起"),
    ("CaseState", "HANDLED", "已处置"),
    ("CaseState", "CHECKED", "已核查"),
    ("CaseState", "CLOSED", "已结案"),
    ("CaseState", "EVALUATED", "已评价"),
    ("CaseTransition", "VERIFY", "核实"),
    ("CaseTransition", "VOID", "作废"),
    ("CaseTransition", "RESOLVE_ON_SPOT", "现场处置"),
    ("CaseTransition", "DESCRIBE", "补充当事人与对象"),
    ("CaseTransition", "FILE", "立案"),
    ("CaseTransition", "DISPATCH", "派遣"),
    ("CaseTransition", "ACCEPT", "签收"),
    ("CaseTransition", "SEND_BACK", "退回"),
    ("CaseTransition", "REQUEST_EXTENSION", "申请延期"),
    ("CaseTransition", "REQUEST_SUSPENSION", "申请挂起"),
    ("CaseTransition", "EXTEND", "批准延期"),
    ("CaseTransition", "SUSPEND", "批准挂起"),
    ("CaseTransition", "REFUSE_REQUEST", "驳回申请"),
    ("CaseTransition", "RESUME", "恢复办理"),
    ("CaseTransition", "HANDLE", "处置完毕"),
    ("CaseTransition", "CHECK_FAILED", "核查不通过"),
    ("CaseTransition", "CHECK_PASSED", "核查通过"),
    ("CaseTransition", "CLOSE", "结案"),
    ("CaseTransition", "EVALUATE", "评价"),
    ("CaseTransition", "ESCALATE", "上报上级"),
    ("CaseTransition", "SUPERVISE", "督办"),
    ("CaseTransition", "MARK_URGENT", "标记加急"),
    ("PolicyVersionKind", "DEFAULTS", "默认策略"),
    ("PolicyVersionKind", "SEED", "演示数据"),
    ("PolicyVersionKind", "EDIT", "修改"),
    ("PolicyVersionKind", "LAPSE", "到期失效"),
    ("PolicyVersionKind", "ROLLBACK", "回滚"),
    ("PolicyChangeOp", "ADD", "新增"),
    ("PolicyChangeOp", "REMOVE", "删除"),
    ("Effect", "ALLOW", "允许"),
    ("Effect", "DENY", "禁止"),
    ("HeadRelation", "HEAD", "户主"),
    ("HeadRelation", "SPOUSE", "配偶"),
    ("HeadRelation", "CHILD", "子女"),
    ("HeadRelation", "PARENT", "父母"),
    ("HeadRelation", "GRANDCHILD", "孙子女"),
    ("HeadRelation", "SIBLING", "兄弟姐妹"),
    ("HeadRelation", "OTHER", "其他"),
    ("HouseholdKind", "FAMILY", "家庭户"),
    ("HouseholdKind", "COLLECTIVE", "集体户"),
    ("LicenceState", "VALID", "证照有效"),
    ("LicenceState", "EXPIRED", "证照过期"),
    ("LicenceState", "NONE", "无证照"),
    ("Light", "GREEN", "绿灯"),
    ("Light", "YELLOW", "黄灯"),
    ("Light", "RED", "红灯"),
    ("Locale", "ZH_CN", "简体中文"),
    ("Locale", "EN_US", "英文"),
    ("Occupancy", "OWNER_OCCUPIED", "自住"),
    ("Occupancy", "RENTED", "出租"),
    ("Occupancy", "OFFICE", "办公"),
    ("Occupancy", "VACANT", "空置"),
    ("OrganisationKind", "FOOD", "餐饮食品"),
    ("OrganisationKind", "RETAIL", "零售"),
    ("OrganisationKind", "COMPANY", "企业"),
    ("OrganisationKind", "SERVICE", "服务业"),
    ("PopulationType", "REGISTERED", "户籍人口"),
    ("PopulationType", "FLOATING", "流动人口"),
    ("PopulationType", "FOREIGN", "境外人员"),
    ("DocumentType", "RESIDENT_ID_CARD", "居民身份证"),
    ("DocumentType", "HMT_RESIDENCE_PERMIT", "港澳台居民居住证"),
    (
        "DocumentType",
        "FOREIGN_PERMANENT_ID",
        "外国人永久居留身份证",
    ),
    (
        "DocumentType",
        "HK_MACAO_TRAVEL_PERMIT",
        "港澳居民来往内地通行证",
    ),
    (
        "DocumentType",
        "TAIWAN_TRAVEL_PERMIT",
        "台湾居民来往大陆通行证",
    ),
    ("DocumentType", "PASSPORT", "护照"),
    ("ResidenceReason", "WORK", "务工"),
    ("ResidenceReason", "BUSINESS", "经商"),
    ("ResidenceReason", "STUDY", "就学"),
    ("ResidenceReason", "FAMILY", "投亲靠友"),
    ("ResidenceReason", "MEDICAL", "就医"),
    ("ResidenceReason", "OFFICIAL", "因公"),
    ("ResidenceReason", "OTHER", "其他"),
    ("ResidentStatus", "ACTIVE", "在册"),
    ("ResidentStatus", "MOVED_OUT", "已迁出"),
    ("ResidentStatus", "DECEASED", "已死亡"),
    ("Sex", "MALE", "男"),
    ("Sex", "FEMALE", "女"),
    ("Shown", "FULL", "完整显示"),
    ("Shown", "MASKED", "脱敏显示"),
    ("Shown", "HIDDEN", "不显示"),
    ("SubjectKind", "USER", "用户"),
    ("SubjectKind", "DEPARTMENT", "部门"),
    ("TransferState", "ON_THE_WAY", "待迁入"),
    ("TransferState", "ARRIVED", "已迁入"),
    ("TransferState", "LEFT_CITY", "迁出本市"),
    ("VisitKind", "CARE", "关爱走访"),
    ("VisitKind", "RENTAL_CHECK", "出租屋检查"),
    ("VisitKind", "SAFETY_CHECK", "安全检查"),
    ("VisitKind", "SUPERVISION", "帮教走访"),
    ("VisitKind", "MEDIATION", "矛盾调解"),
    ("VisitKind", "OTHER", "其他"),
    ("VisitSubject", "RESIDENT", "居民"),
    ("VisitSubject", "HOUSEHOLD", "户"),
    ("VisitSubject", "DWELLING", "房屋"),
    ("VisitSubject", "BUILDING", "楼栋"),
    ("VisitSubject", "ORGANISATION", "单位"),
    ("SortDirection", "ASC", "升序"),
    ("SortDirection", "DESC", "降序"),
    ("Supervision", "NONE", "无"),
    ("Supervision", "YELLOW_CARD", "黄牌"),
    ("Supervision", "RED_CARD", "红牌"),
    ("TargetKind", "GRID", "网格"),
    ("TargetKind", "WORKER", "网格员"),
    ("TargetKind", "DEPARTMENT", "部门"),
    ("TaskKind", "INSTRUCTION", "指令"),
    ("TaskKind", "CAMPAIGN", "专项任务"),
    ("TaskKind", "VISITS", "走访任务"),
    ("TaskPriority", "LOW", "低"),
    ("TaskPriority", "NORMAL", "普通"),
    ("TaskPriority", "HIGH", "高"),
    ("TaskPriority", "URGENT", "紧急"),
    ("TimeUnit", "WORKING_HOURS", "工作小时"),
    ("TimeUnit", "WORKING_DAYS", "工作日"),
    ("TimeUnit", "HOURS", "小时"),
    ("EscalationLevel", "STREET", "街道"),
    ("EscalationLevel", "DISTRICT", "区"),
    ("EscalationLevel", "CITY", "市指挥中心"),
    ("TokenSubjectKind", "DEPARTMENT", "部门"),
    ("TokenSubjectKind", "APPLICATION", "应用"),
    ("Urgency", "NORMAL", "一般"),
    ("Urgency", "URGENT", "紧急"),
    ("Urgency", "CRITICAL", "特急"),
    ("UserKind", "ADMIN", "系统管理员"),
    ("UserKind", "MANAGER", "社区（街道）管理员"),
    ("UserKind", "GRID_WORKER", "网格员"),
    ("UserKind", "POLICE", "社区民警"),
    ("UserKind", "DEPARTMENT_OFFICER", "部门工作人员"),
    ("UserKind", "OPERATOR", "指挥中心值班员"),
    ("UserKind", "AUDITOR", "审计员"),
    ("UserKind", "ANALYST", "分析员"),
    ("Verification", "PENDING", "待比对"),
    ("Verification", "SIGNED_OFF", "已签收"),
    ("Verification", "RETURNED", "已退回"),
    ("RegistryKind", "HOUSEHOLD", "户籍"),
    ("RegistryKind", "DEATHS", "死亡登记"),
    ("RegistryKind", "PENSIONS", "养老金发放"),
    ("RegistryKind", "WANTED", "在逃人员"),
    ("RegistryKind", "LICENCES", "营业执照"),
    ("RegistryKind", "FOOD_PERMITS", "食品经营许可"),
    ("SnapshotState", "LOADING", "导入中"),
    ("SnapshotState", "CURRENT", "当前"),
    ("SnapshotState", "SUPERSEDED", "已替换"),
    ("SnapshotState", "FAILED", "失败"),
    ("VerificationAction", "SIGN_OFF", "签收"),
    ("VerificationAction", "RETURN", "退回"),
    ("VerificationAction", "RESUBMIT", "重新提交"),
    ("VerificationAction", "CORRECTED", "更正后待比对"),
    ("VerificationAction", "MOVED_IN", "迁入待比对"),
    ("FindingState", "OPEN", "待签收"),
    ("FindingState", "SIGNED_OFF", "已签收"),
    ("FindingState", "RETURNED", "已退回"),
    ("FindingState", "RESOLVED", "已处理"),
    ("FindingState", "DISMISSED", "已排除"),
    ("FindingAction", "OPENED", "比对发现"),
    ("FindingAction", "SIGN_OFF", "签收"),
    ("FindingAction", "RETURN", "退回"),
    ("FindingAction", "RESOLVE", "处理完毕"),
    ("FindingAction", "DISMISS", "排除"),
    ("FindingAction", "CLEARED", "复比对已消除"),
    ("FindingAction", "CASE_OPENED", "立案"),
    ("ComparisonJobState", "RUNNING", "比对中"),
    ("ComparisonJobState", "FINISHED", "已完成"),
    ("ComparisonJobState", "FAILED", "失败"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_reads_the_value_as_words() {
        assert_eq!(english("IN_PROGRESS"), "In progress");
        assert_eq!(label("CaseState", "IN_PROGRESS", Locale::ZhCn), "处置中");
        assert_eq!(
            label("TaskErrorCode", "CONFLICT", Locale::ZhCn),
            "已被他人修改，请刷新后重试"
        );
        assert_eq!(
            label("CaseState", "IN_PROGRESS", Locale::EnUs),
            "In progress"
        );
    }
}
