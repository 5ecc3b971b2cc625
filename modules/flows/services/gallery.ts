import type { FlowEdge, FlowGraph, FlowNode } from './graph.js'

/*
| Ready flows to install and adapt, in English and Arabic. Installing one
| copies its graph into a new draft flow. Ids of the workspace's own
| things (a dataset, a booking service) are left empty: the validator
| names them until the member picks them on the canvas.
*/

export const GALLERY_LANGUAGES = ['en', 'ar'] as const
export type GalleryLanguage = (typeof GALLERY_LANGUAGES)[number]

export interface GalleryFlow {
  key: string
  name: string
  description: string
  graph: FlowGraph
}

type Texts = Record<string, string>

function node(id: string, type: FlowNode['type'], col: number, row: number, data: object) {
  return { id, type, position: { x: 40 + col * 300, y: 40 + row * 240 }, data } as FlowNode
}

function edge(from: string, port: string, to: string): FlowEdge {
  return { from, port, to }
}

function insurance(t: Texts): GalleryFlow {
  return {
    key: 'insurance_intake',
    name: t.insuranceName,
    description: t.insuranceDescription,
    graph: {
      nodes: [
        node('welcome', 'message', 0, 0, { text: t.insuranceWelcome }),
        node('ask_name', 'question', 0, 1, {
          text: t.askName,
          kind: 'text',
          variable: 'name',
          contact_field: 'name',
          retry_text: t.askNameRetry,
          max_retries: 1,
        }),
        node('policy_type', 'message', 0, 2, {
          text: t.policyType,
          buttons: [
            { id: 'motor', title: t.motor },
            { id: 'home', title: t.home },
            { id: 'health', title: t.health },
          ],
        }),
        node('renewal', 'question', 0, 3, {
          text: t.renewal,
          kind: 'date',
          variable: 'renewal_date',
          retry_text: t.renewalRetry,
          max_retries: 2,
        }),
        node('documents', 'message', 0, 4, {
          text: t.documents,
          buttons: [
            { id: 'docs_now', title: t.docsNow },
            { id: 'docs_later', title: t.docsLater },
          ],
        }),
        node('adviser', 'handoff', 0, 5, { text: t.insuranceHandoff }),
      ],
      edges: [
        edge('welcome', 'next', 'ask_name'),
        edge('ask_name', 'next', 'policy_type'),
        edge('ask_name', 'fallback', 'adviser'),
        edge('policy_type', 'next', 'renewal'),
        edge('policy_type', 'fallback', 'adviser'),
        edge('renewal', 'next', 'documents'),
        edge('renewal', 'fallback', 'adviser'),
        edge('documents', 'next', 'adviser'),
        edge('documents', 'fallback', 'adviser'),
      ],
    },
  }
}

function realEstate(t: Texts): GalleryFlow {
  return {
    key: 'viewing_request',
    name: t.viewingName,
    description: t.viewingDescription,
    graph: {
      nodes: [
        node('ask_area', 'question', 0, 0, {
          text: t.askArea,
          kind: 'text',
          variable: 'area',
          max_retries: 1,
        }),
        node('ask_budget', 'question', 0, 1, {
          text: t.askBudget,
          kind: 'number',
          variable: 'budget',
          min: 0,
          retry_text: t.askBudgetRetry,
          max_retries: 1,
        }),
        node('listings', 'lookup', 0, 2, {
          source: 'dataset',
          source_id: '',
          // The dataset search reads "JLT under 150000" as an area and a price ceiling.
          query: '{{area}} under {{budget}}',
          variable: 'listing',
          limit: 10,
          list: {
            text: t.listingsText,
            button: t.listingsButton,
            title: '{{summary}}',
          },
        }),
        node('agent', 'handoff', 0, 3, { text: t.viewingHandoff }),
        node('none_found', 'handoff', 1, 3, { text: t.noneFound }),
      ],
      edges: [
        edge('ask_area', 'next', 'ask_budget'),
        edge('ask_area', 'fallback', 'none_found'),
        edge('ask_budget', 'next', 'listings'),
        edge('ask_budget', 'fallback', 'none_found'),
        edge('listings', 'next', 'agent'),
        edge('listings', 'fallback', 'none_found'),
      ],
    },
  }
}

function coaching(t: Texts): GalleryFlow {
  return {
    key: 'coaching_booking',
    name: t.coachingName,
    description: t.coachingDescription,
    graph: {
      nodes: [
        node('hello', 'message', 0, 0, {
          text: t.coachingHello,
          buttons: [
            { id: 'book', title: t.bookButton },
            { id: 'question', title: t.questionButton },
          ],
        }),
        node('book_session', 'booking', 0, 1, {
          service_id: '',
          days: 14,
          text: t.pickTime,
          variable: 'booking',
        }),
        node('booked', 'end', 0, 2, { text: t.booked }),
        node('coach', 'handoff', 1, 1, { text: t.coachHandoff }),
      ],
      edges: [
        edge('hello', 'book', 'book_session'),
        edge('hello', 'question', 'coach'),
        edge('hello', 'fallback', 'coach'),
        edge('book_session', 'next', 'booked'),
        edge('book_session', 'fallback', 'coach'),
      ],
    },
  }
}

const TEXTS: Record<GalleryLanguage, Texts> = {
  en: {
    insuranceName: 'New client intake (insurance)',
    insuranceDescription:
      'Name, policy type with buttons, renewal date, documents, then an adviser takes over.',
    insuranceWelcome: 'Welcome! A few quick questions and an adviser will be with you.',
    askName: 'What is your full name?',
    askNameRetry: 'Please type your name.',
    policyType: 'Thanks {{name}}. Which cover are you looking for?',
    motor: 'Motor',
    home: 'Home',
    health: 'Health',
    renewal: 'When does your current policy renew? (for example 2027-03-31)',
    renewalRetry: 'Please write the date like 2027-03-31.',
    documents: 'Do you have your current policy documents to hand?',
    docsNow: 'Yes, I have them',
    docsLater: 'I will send later',
    insuranceHandoff: 'Thank you {{name}}. An adviser will pick this up with you shortly.',
    viewingName: 'Viewing request (real estate)',
    viewingDescription:
      'Area and budget, the matching listings from your listings dataset as a list, then an agent.',
    askArea: 'Which area are you looking in?',
    askBudget: 'What is your budget?',
    askBudgetRetry: 'Please write the budget as a number.',
    listingsText: 'Here is what we have in {{area}}. Pick one to view:',
    listingsButton: 'See listings',
    viewingHandoff: 'Great choice. An agent will arrange the viewing with you.',
    noneFound: 'Let me pass you to an agent who can help you search.',
    coachingName: 'Coaching session booking',
    coachingDescription: 'Offers the free times of your coaching service and books one.',
    coachingHello: 'Hi {{contact.name}}! Would you like to book a coaching session?',
    bookButton: 'Book a session',
    questionButton: 'Ask a question',
    pickTime: 'Here are the next free times:',
    booked: 'You are booked. See you then!',
    coachHandoff: 'Your coach will reply here shortly.',
  },
  ar: {
    insuranceName: 'تسجيل عميل جديد (تأمين)',
    insuranceDescription:
      'الاسم، ونوع الوثيقة بالأزرار، وتاريخ التجديد، والمستندات، ثم يتولى مستشار.',
    insuranceWelcome: 'أهلًا بك! بضعة أسئلة سريعة ثم يتواصل معك مستشار.',
    askName: 'ما اسمك الكامل؟',
    askNameRetry: 'من فضلك اكتب اسمك.',
    policyType: 'شكرًا {{name}}. ما نوع التغطية التي تبحث عنها؟',
    motor: 'سيارات',
    home: 'منزل',
    health: 'صحي',
    renewal: 'متى تتجدد وثيقتك الحالية؟ (مثلًا 2027-03-31)',
    renewalRetry: 'من فضلك اكتب التاريخ هكذا 2027-03-31.',
    documents: 'هل مستندات وثيقتك الحالية في متناولك؟',
    docsNow: 'نعم، معي',
    docsLater: 'سأرسلها لاحقًا',
    insuranceHandoff: 'شكرًا {{name}}. سيتابع معك مستشار قريبًا.',
    viewingName: 'طلب معاينة (عقارات)',
    viewingDescription:
      'المنطقة والميزانية، ثم العقارات المطابقة من مجموعة بياناتك في قائمة، ثم وكيل.',
    askArea: 'في أي منطقة تبحث؟',
    askBudget: 'ما ميزانيتك؟',
    askBudgetRetry: 'من فضلك اكتب الميزانية رقمًا.',
    listingsText: 'هذا ما لدينا في {{area}}. اختر عقارًا لمعاينته:',
    listingsButton: 'عرض العقارات',
    viewingHandoff: 'اختيار رائع. سيرتب معك وكيل موعد المعاينة.',
    noneFound: 'سأحولك إلى وكيل يساعدك في البحث.',
    coachingName: 'حجز جلسة تدريب',
    coachingDescription: 'يعرض الأوقات المتاحة لخدمة التدريب لديك ويحجز أحدها.',
    coachingHello: 'مرحبًا {{contact.name}}! هل تود حجز جلسة تدريب؟',
    bookButton: 'احجز جلسة',
    questionButton: 'اطرح سؤالًا',
    pickTime: 'هذه أقرب الأوقات المتاحة:',
    booked: 'تم الحجز. نراك قريبًا!',
    coachHandoff: 'سيرد عليك مدربك هنا قريبًا.',
  },
}

/** The gallery in one language. */
export function galleryFlows(language: string): GalleryFlow[] {
  const t = TEXTS[language === 'ar' ? 'ar' : 'en']
  return [insurance(t), realEstate(t), coaching(t)]
}

export function galleryFlow(key: string, language: string) {
  return galleryFlows(language).find((flow) => flow.key === key) ?? null
}
