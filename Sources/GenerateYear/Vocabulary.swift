/// The world of the generated year: neighbourhoods, workers, organisations, and the words
/// residents and workers use. Dutch and Flemish, after the source texts.
enum Vocabulary {
    /// 30 Amsterdam buurtcodes and 10 Ghent statistical sectors.
    static let neighbourhoods: [String] =
        (1...30).map { "BU0363" + String(format4: $0 * 7) } + (1...10).map { "44021A0" + String(format2: $0) }

    static let workers = ["w-anna", "w-youssef", "w-els", "w-mehmet", "w-sanne", "w-pieter", "w-fatima", "w-koen",
                          "w-nadia", "w-bram", "w-lotte", "w-karim", "w-ines", "w-joris", "w-amina", "w-wouter"]

    static let organisations: [(id: String, type: String, name: String)] = [
        ("org-schuldhulp-noord", "welfare", "Schuldhulpverlening Noord"), ("org-maatschappelijk-werk", "welfare", "Maatschappelijk Werk"),
        ("org-welzijn-op-recept", "welfare", "Welzijn op Recept"), ("org-woningcorp-eigen-haard", "housing_corporation", "Eigen Haard"),
        ("org-ggd", "care", "GGD"), ("org-buurtzorg", "care", "Buurtzorg"), ("org-stadsdeel-oost", "city_service", "Stadsdeel Oost"),
        ("org-jongerenwerk", "youth_work", "Jongerenwerk"), ("org-bibliotheek", "library", "OBA Bibliotheek"),
        ("org-taalhuis", "library", "Taalhuis"), ("org-basisschool-de-regenboog", "school", "De Regenboog"),
        ("org-moskee-al-fath", "faith", "Moskee Al Fath"), ("org-voedselbank", "association", "Voedselbank"),
        ("org-werkplein", "city_service", "Werkplein"), ("org-juridisch-loket", "welfare", "Juridisch Loket"),
        ("org-ocmw-gent", "city_service", "OCMW Gent"), ("org-samenlevingsopbouw", "welfare", "Samenlevingsopbouw"),
        ("org-buurtcentrum", "association", "Buurtcentrum"), ("org-huurdersvereniging", "association", "Huurdersvereniging"),
        ("org-bakkerij-de-hoek", "business", "Bakkerij De Hoek"),
    ]

    static let serviceOrganisations: [(service: String, organisation: String)] = [
        ("debt_help", "org-schuldhulp-noord"), ("social_work", "org-maatschappelijk-werk"),
        ("welzijn_op_recept", "org-welzijn-op-recept"), ("housing", "org-woningcorp-eigen-haard"),
        ("health_care", "org-buurtzorg"), ("mental_health", "org-ggd"), ("employment", "org-werkplein"),
        ("language_course", "org-taalhuis"), ("legal_aid", "org-juridisch-loket"), ("youth_care", "org-jongerenwerk"),
        ("income_support", "org-ocmw-gent"),
    ]

    static let firstNames = ["Fatima", "Jan", "Mohamed", "Els", "Kees", "Aisha", "Priya", "Sven", "Noor", "Tom", "Yasmina",
                             "Henk", "Marieke", "Ahmed", "Lieve", "Dirk", "Samira", "Wim", "Chantal", "Rachid", "An", "Geert"]
    static let lastNames = ["de Vries", "El Amrani", "Jansen", "Peeters", "Yilmaz", "Bakker", "Maes", "Janssens", "Bouzid",
                            "van Dijk", "Claes", "Öztürk", "Visser", "Wouters", "Kaya", "de Smet", "Mulder", "Boateng"]
    static let streets = ["Javastraat", "Dapperstraat", "Kastanjeplein", "Wijttenbachstraat", "Sleutelhof", "Brugse Poort",
                          "Tweebruggenstraat", "Rabotstraat", "Eikenweg", "Pretoriusstraat"]

    static let contactSummaries = [
        "Mevrouw maakt zich zorgen over de huurachterstand.", "Meneer zoekt hulp bij formulieren van de gemeente.",
        "Gesprek over eenzaamheid sinds het overlijden van haar man.", "Vraag over de energietoeslag.",
        "Bewoner wil graag meedoen aan de buurtmoestuin.", "Uitleg gegeven over de brief van de belastingdienst.",
        "Zorgen over de veiligheid op het plein 's avonds.", "Hulp gevraagd bij het maken van een DigiD.",
        "Ouders zoeken een plek voor hun kinderen na school.", "Samen gekeken naar rechten bij de huurcommissie.",
    ]
    static let signalTexts: [(category: String, text: String)] = [
        ("playground", "De glijbaan in de speeltuin is kapot en gevaarlijk voor kinderen."),
        ("greenery", "Het gras langs de fietsroute wordt te weinig gemaaid; afspraken zijn onduidelijk."),
        ("traffic_safety", "Auto's rijden te hard over het kruispunt bij de school."),
        ("public_space", "Zwerfvuil en dumpingen bij de ondergrondse containers."),
        ("housing", "Vocht en schimmel in meerdere woningen van hetzelfde blok."),
        ("nuisance", "Geluidsoverlast van scooters rond het winkelcentrum."),
        ("services_gap", "Geen plek in de buurt waar ouderen terechtkunnen met digitale vragen."),
        ("poverty", "Steeds meer gezinnen kloppen aan bij de voedselbank."),
        ("loneliness", "Oudere bewoners in de flat komen nauwelijks buiten."),
        ("safety", "Slechte verlichting in de onderdoorgang naar het station."),
        ("information", "Bewoners begrijpen de brief over de renovatie niet."),
    ]
    static let initiativeTitles: [(theme: String, title: String)] = [
        ("christmas_market", "Kerstmarkt op het plein"), ("clean_up", "Buurtopruimdag"), ("spaghetti_evening", "Spaghettiavond"),
        ("repair_cafe", "Repair Café"), ("computer_course", "Computercursus voor senioren"), ("swap_shop", "Weggeefwinkel"),
        ("collective_purchase", "Samenaankoop stookolie"), ("traffic_safety", "Actie veilig naar school"),
        ("playground", "Nieuwe speelplek"), ("community_garden", "Buurtmoestuin"), ("street_party", "Straatfeest"),
        ("info_session", "Infosessie huurrechten in klare taal"), ("walking_group", "Wandelgroep"), ("language_cafe", "Taalcafé"),
    ]
}

extension String {
    init(format4 n: Int) { let s = String(n % 10000); self = String(repeating: "0", count: 4 - s.count) + s }
    init(format2 n: Int) { let s = String(n % 100); self = String(repeating: "0", count: 2 - s.count) + s }
}
