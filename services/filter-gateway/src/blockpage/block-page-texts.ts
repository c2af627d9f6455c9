/** The words of the 451 page, in Kazakh, Russian and English (the order the page shows them). */

export type Lang = 'kk' | 'ru' | 'en';
export const LANGS: readonly Lang[] = ['kk', 'ru', 'en'];

type Texts = Record<Lang, string>;

export const TITLE: Texts = {
  kk: 'Бұл ресурсқа қолжетімділік шектелген',
  ru: 'Доступ к этому ресурсу ограничен',
  en: 'Access to this resource is restricted',
};

export const LEAD: Texts = {
  kk: 'Сұралған ресурс Интернет-ресурстарға қолжетімділігі шектелген тізілімге енгізілген. Төменде шектеудің заңды негізі көрсетілген.',
  ru: 'Запрошенный ресурс внесён в реестр интернет-ресурсов с ограниченным доступом. Ниже указано правовое основание ограничения.',
  en: 'The requested resource is listed in the register of restricted internet resources. The legal basis of the restriction is given below.',
};

export const LABELS: Record<'entry' | 'resource' | 'category' | 'basisKind' | 'authority' | 'documentNumber' | 'documentDate' | 'decisionDate' | 'suspendedUntil' | 'appeal', Texts> = {
  entry: { kk: 'Тізілім жазбасы', ru: 'Запись реестра', en: 'Register entry' },
  resource: { kk: 'Ресурс', ru: 'Ресурс', en: 'Resource' },
  category: { kk: 'Санат', ru: 'Категория', en: 'Category' },
  basisKind: { kk: 'Құқықтық негіз', ru: 'Правовое основание', en: 'Legal basis' },
  authority: { kk: 'Шешім шығарған орган', ru: 'Орган, принявший решение', en: 'Issuing authority' },
  documentNumber: { kk: 'Құжат нөмірі', ru: 'Номер документа', en: 'Document number' },
  documentDate: { kk: 'Құжат күні', ru: 'Дата документа', en: 'Document date' },
  decisionDate: { kk: 'Шешімнің күшіне енген күні', ru: 'Дата вступления решения в силу', en: 'Decision in force since' },
  suspendedUntil: { kk: 'Тоқтатылған мерзім соңы', ru: 'Приостановлено до', en: 'Suspended until' },
  appeal: { kk: 'Қалай шағымдануға болады', ru: 'Как обжаловать', en: 'How to appeal' },
};

export const BASIS_KINDS: Record<string, Texts> = {
  court_ruling: { kk: 'Сот шешімі', ru: 'Решение суда', en: 'Court ruling' },
  prosecutor_recommendation: { kk: 'Прокурордың ұсынымы', ru: 'Представление прокурора', en: "Prosecutor's recommendation" },
  ministry_order: { kk: 'Уәкілетті органның бұйрығы', ru: 'Приказ уполномоченного органа', en: 'Order of the authorised body' },
};

export const CATEGORIES: Record<string, Texts> = {
  child_cyberbullying: { kk: 'Балаларға қатысты кибербуллинг', ru: 'Кибербуллинг в отношении детей', en: 'Cyberbullying of children' },
  child_sexual_abuse: { kk: 'Балаларды жыныстық қанау', ru: 'Сексуальная эксплуатация детей', en: 'Child sexual abuse' },
  extremism: { kk: 'Экстремизм', ru: 'Экстремизм', en: 'Extremism' },
  terrorism: { kk: 'Терроризм', ru: 'Терроризм', en: 'Terrorism' },
  pornography: { kk: 'Порнография', ru: 'Порнография', en: 'Pornography' },
  drugs: { kk: 'Есірткі', ru: 'Наркотики', en: 'Drugs' },
  suicide: { kk: 'Суицидті насихаттау', ru: 'Пропаганда суицида', en: 'Promotion of suicide' },
  gambling: { kk: 'Құмар ойындар', ru: 'Азартные игры', en: 'Gambling' },
  unregistered_platform: { kk: 'Тіркелмеген платформа', ru: 'Незарегистрированная платформа', en: 'Unregistered platform' },
  order_noncompliance: { kk: 'Нұсқаманы орындамау', ru: 'Неисполнение предписания', en: 'Non-compliance with an order' },
  other: { kk: 'Басқа', ru: 'Другое', en: 'Other' },
};

/** `{entry}` and `{url}` are filled in. */
export const APPEAL: Texts = {
  kk: 'Шектеуді қате деп санасаңыз, жоғарыда аталған органға шешімді қайта қарау туралы өтініш беруге немесе шешімге сотқа шағымдануға құқығыңыз бар. Өтініште тізілім жазбасының нөмірін көрсетіңіз: {entry}. Жазба мен оның толық тарихы: {url}',
  ru: 'Если вы считаете ограничение ошибочным, вы вправе обратиться в указанный выше орган с заявлением о пересмотре решения или обжаловать решение в суде. Укажите в обращении номер записи реестра: {entry}. Запись и её полная история: {url}',
  en: 'If you believe the restriction is wrong, you may ask the authority named above to review its decision, or challenge the decision in court. Quote the register entry number {entry}. The entry and its full history: {url}',
};

export const DETAILS_UNAVAILABLE: Texts = {
  kk: 'Жазбаның толық мәліметтері қазір қолжетімсіз; оларды сілтеме бойынша қараңыз.',
  ru: 'Подробности записи сейчас недоступны; их можно посмотреть по ссылке.',
  en: 'The details of the entry are unavailable right now; follow the link for them.',
};

export const WITHHELD: Texts = {
  kk: 'мекенжайы жарияланбайды',
  ru: 'адрес не публикуется',
  en: 'address not published',
};
