import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import type { SearchHit } from '#modules/brain/services/search'
import { answerExtractively } from '#modules/brain/services/answers'
import { rankByRarity } from '#modules/brain/services/answers'
import {
  askedFact,
  askedThing,
  factSubject,
  questionFigures,
  questionType,
  statesFactOf,
  statesType,
  yesNoThings,
} from '#modules/brain/services/answers/answer_type'
import {
  acronymsOf,
  contentTerms,
  foldText,
  isMannerAdverb,
  synonymWordsByWord,
  termMatch,
} from '#modules/brain/services/text_toolkit'

/*
| How the offline answerer chooses what answers: the sentence (or two
| neighbouring sentences) stating the asked kind of fact, and a confidence
| that falls when the question's telling words match nothing in particular
| or point to another document.
*/

function hit(text: string, overrides: Partial<SearchHit> = {}, rank = 1): SearchHit {
  return {
    chunkId: randomUUID(),
    sourceId: randomUUID(),
    title: 'Malpractice policy wording',
    headingPath: [],
    page: null,
    url: null,
    text,
    score: 2 / (60 + rank),
    lexicalRank: rank,
    vectorRank: rank,
    ...overrides,
  }
}

const POLICY = randomUUID()
const DISCIPLINARY = hit(
  'We will pay the legal costs of representing you at an inquiry or disciplinary hearing before a health authority or licensing body, where the inquiry concerns your healthcare services. Representation at disciplinary hearings is limited to AED 250,000 per period of insurance.',
  {
    sourceId: POLICY,
    headingPath: ['3. What we cover', '3.3 Disciplinary and regulatory hearings'],
  },
  1
)
const CLAIMS = hit(
  'You must tell us in writing as soon as possible, and in any event within 30 days, after you first become aware of a claim or of an incident that is likely to give rise to a claim. You can notify us by email at claims@insurer.example or by calling our 24-hour medico-legal helpline on 800 6374 2255.',
  { sourceId: POLICY, headingPath: ['9. How to make a claim', '9.1 Tell us quickly'] },
  2
)
const CLASSES = hit(
  'Group classes are free for members and are booked through the app up to 7 days ahead. If you miss three booked classes in a month without cancelling, you cannot book classes for the following 14 days.',
  { title: 'Club handbook', headingPath: ['Group classes'] },
  1
)
const BROKER = hit(
  'Harbourline Brokers is an independent insurance broker licensed by the insurance regulator, with offices in Dubai and Abu Dhabi.',
  { title: 'Insurance FAQ', headingPath: ['Who are Harbourline Brokers?'] },
  1
)
const LISTINGS = randomUUID()
const HEADER =
  '| Reference | Area | Type | Bedrooms | Annual rent (AED) |\n| --- | --- | --- | --- | --- |'
function listing(row: string, rank: number) {
  return hit(`${HEADER}\n${row}`, { sourceId: LISTINGS, title: 'Rental listings' }, rank)
}
const PRICES = randomUUID()
function price(row: string, rank: number) {
  return hit(
    `| Plan | Specialty | Annual premium (AED) |\n| --- | --- | --- |\n${row}`,
    { sourceId: PRICES, title: 'Price list' },
    rank
  )
}

test.group('Extractive answers | choosing what answers', () => {
  test('an answer spanning two neighbouring sentences quotes both', ({ assert }) => {
    const answer = answerExtractively(
      'Is there a cap on what you pay for my lawyer at a disciplinary hearing?',
      [DISCIPLINARY, CLAIMS]
    )
    assert.isFalse(answer.handoff)
    assert.lengthOf(answer.citations, 1)
    assert.include(answer.text, 'limited to AED 250,000')
    assert.include(answer.text, 'We will pay the legal costs')
  })

  test('the sentence stating the asked kind of fact is the one quoted', ({ assert }) => {
    const answer = answerExtractively('What number do I ring to report an incident at night?', [
      CLAIMS,
      DISCIPLINARY,
    ])
    assert.isFalse(answer.handoff)
    assert.include(answer.text, '800 6374 2255')
  })

  test('a yes/no question about a price is answered by a passage saying it is free', ({
    assert,
  }) => {
    assert.equal(questionType('Do I pay extra for group classes?'), 'yesno')
    assert.equal(askedFact('Do I pay extra for group classes?'), 'amount')
    const answer = answerExtractively('Do I pay extra for group classes?', [CLASSES, BROKER])
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'Group classes are free for members')
  })

  test('a street address is not answered by a passage naming only the city', ({ assert }) => {
    assert.equal(questionType('What is the street address of your Abu Dhabi office?'), 'address')
    const answer = answerExtractively('What is the street address of your Abu Dhabi office?', [
      BROKER,
      CLAIMS,
    ])
    assert.isTrue(answer.handoff)
  })

  test('words left unanswered that another document holds lower the confidence', ({ assert }) => {
    const hits = [
      BROKER,
      listing('| GV-105 | Arabian Ranches | Villa | 4 | 265000 |', 2),
      listing('| GV-109 | Mirdif | Villa | 5 | 230000 |', 3),
    ]
    const answer = answerExtractively('Do you have any villas for rent in Abu Dhabi?', hits)
    assert.isTrue(answer.handoff)
    const covered = answerExtractively('Do you have any villas for rent in Mirdif?', hits)
    assert.isFalse(covered.handoff)
    assert.include(covered.text, 'GV-109')
  })

  test('a price asked about one document’s words is not answered from another’s fee', ({
    assert,
  }) => {
    // "How much is insurance for a psychiatrist?": the club's medical freeze
    // mentions a doctor and a fee, but insurance is what the other document
    // (the broker's FAQ) is about, and it names no psychiatrist.
    const ARABIC_FAQ = randomUUID()
    const ARABIC_CLUB = randomUUID()
    const hits = [
      hit(
        'يمكن لأي طبيب أو طبيب أسنان أو ممرض أو صيدلي أو أخصائي في المهن الصحية المساندة يحمل ترخيصاً سارياً من هيئة صحية في دول الخليج أن يتقدم بطلب التأمين.',
        {
          sourceId: ARABIC_FAQ,
          title: 'الأسئلة الشائعة عن تأمين الأخطاء الطبية',
          headingPath: [
            'هاربورلاين للوساطة: أسئلة وأجوبة عن تأمين الأخطاء الطبية',
            'من يحق له شراء وثيقة تأمين الأخطاء الطبية؟',
          ],
        },
        2
      ),
      hit(
        'نعم، العمل كطبيب بديل مغطى تلقائياً بنفس الشروط، بشرط أن يكون ضمن تخصصك المعلن وفي منشأة مرخصة داخل النطاق الجغرافي. إذا تجاوز عملك البديل تسعين يوماً في السنة يجب إبلاغنا قبل ذلك.',
        {
          sourceId: ARABIC_FAQ,
          title: 'الأسئلة الشائعة عن تأمين الأخطاء الطبية',
          headingPath: [
            'هاربورلاين للوساطة: أسئلة وأجوبة عن تأمين الأخطاء الطبية',
            'هل تغطي الوثيقة العمل كطبيب بديل في مستشفى آخر؟',
          ],
        },
        3
      ),
      hit(
        'مبلغ التحمل هو الجزء من كل مطالبة الذي تدفعه بنفسك قبل أن تدفع شركة التأمين، ويختلف حسب الخطة والتخصص كما هو مبين في قائمة الأسعار.',
        {
          sourceId: ARABIC_FAQ,
          title: 'الأسئلة الشائعة عن تأمين الأخطاء الطبية',
          headingPath: [
            'هاربورلاين للوساطة: أسئلة وأجوبة عن تأمين الأخطاء الطبية',
            'ما هو مبلغ التحمل؟',
          ],
        },
        1
      ),
      hit(
        'يمكنك تجميد عضويتك لأسباب طبية أو للسفر لمدة تتراوح بين أسبوعين وثلاثة أشهر، مرة واحدة في كل سنة عضوية. التجميد الطبي مجاني مع تقرير من الطبيب، أما تجميد السفر فرسومه 100 درهم.',
        {
          sourceId: ARABIC_CLUB,
          title: 'دليل أعضاء نادي الواحة',
          headingPath: ['نادي الواحة للياقة البدنية: دليل الأعضاء', 'تجميد العضوية'],
        },
        8
      ),
      hit(
        'نعم، يمكنك دفع القسط السنوي دفعة واحدة أو على أربعة أقساط ربع سنوية مع رسوم تقسيط بنسبة ثلاثة بالمئة. لا نقدم الدفع الشهري.',
        {
          sourceId: ARABIC_FAQ,
          title: 'الأسئلة الشائعة عن تأمين الأخطاء الطبية',
          headingPath: [
            'هاربورلاين للوساطة: أسئلة وأجوبة عن تأمين الأخطاء الطبية',
            'هل يمكنني دفع القسط على أقساط؟',
          ],
        },
        6
      ),
      hit(
        'يمكن إلغاء العضوية الشهرية بإشعار كتابي قبل ثلاثين يوماً. أما العضوية السنوية فلا يمكن إلغاؤها إلا خلال أول 14 يوماً مع استرداد كامل المبلغ، أو بعد ذلك لسبب طبي مع تقرير من الطبيب، وفي هذه الحالة نعيد قيمة الأشهر غير المستخدمة بعد خصم رسوم قدرها 250 درهماً.',
        {
          sourceId: ARABIC_CLUB,
          title: 'دليل أعضاء نادي الواحة',
          headingPath: ['نادي الواحة للياقة البدنية: دليل الأعضاء', 'إلغاء العضوية'],
        },
        9
      ),
      hit(
        'يمكنك الإلغاء خلال أربعة عشر يوماً من استلام المستندات واسترداد القسط كاملاً ما لم يتم الإبلاغ عن أي مطالبة. بعد ذلك يُرد الجزء غير المستخدم من القسط بعد خصم رسوم إدارية قدرها ثلاثمئة وخمسون درهماً.',
        {
          sourceId: ARABIC_FAQ,
          title: 'الأسئلة الشائعة عن تأمين الأخطاء الطبية',
          headingPath: [
            'هاربورلاين للوساطة: أسئلة وأجوبة عن تأمين الأخطاء الطبية',
            'هل يمكنني إلغاء الوثيقة واسترداد المبلغ؟',
          ],
        },
        5
      ),
      hit(
        'يجب إبلاغ شركة التأمين كتابياً خلال ثلاثين يوماً من علمك بالمطالبة، عبر البريد الإلكتروني أو خط الاستشارات الطبية القانونية المتاح على مدار الساعة. لا تعترف بالمسؤولية ولا تعرض أي تسوية قبل الحصول على موافقة الشركة.',
        {
          sourceId: ARABIC_FAQ,
          title: 'الأسئلة الشائعة عن تأمين الأخطاء الطبية',
          headingPath: [
            'هاربورلاين للوساطة: أسئلة وأجوبة عن تأمين الأخطاء الطبية',
            'كيف أبلغ عن مطالبة؟',
          ],
        },
        4
      ),
    ]
    const answer = answerExtractively('كم سعر التأمين لطبيب نفسي؟', hits)
    assert.isTrue(answer.handoff)
    // The freeze's own question is answered from the same passages.
    const covered = answerExtractively('كم رسوم تجميد العضوية للسفر؟', hits)
    assert.isFalse(covered.handoff)
    assert.include(covered.text, '100 درهم')
  })

  test('“how many” sessions is not answered by how many hours ahead they are booked', ({
    assert,
  }) => {
    assert.isFalse(statesType('count', 'Sessions are booked at least 24 hours ahead.'))
    assert.isFalse(statesType('count', 'A guest pass costs AED 75 per visit.'))
    assert.isFalse(statesType('count', 'The club opens at 5:30 am.'))
    assert.isFalse(statesType('count', 'يجب الإبلاغ خلال ثلاثين يوماً'))
    assert.isTrue(statesType('count', 'Packages of 10 sessions are valid for 90 days.'))
    assert.isTrue(statesType('count', 'Each member may bring up to two guests a month.'))
    assert.isTrue(statesType('count', 'يحق لكل عضو إحضار ضيفين كحد أقصى في الشهر.'))
  })

  test('many passages matching alike (no row names the specialty) is not an answer', ({
    assert,
  }) => {
    const rows = [
      price('| Standard | Dentistry | 6875 |', 1),
      price('| Standard | Paediatrics | 9480 |', 2),
      price('| Standard | Dermatology | 7945 |', 3),
      price('| Premier | Neurosurgery | 54300 |', 4),
      price('| Premier | General Surgery | 31740 |', 5),
    ]
    const missing = answerExtractively('What is the annual premium for a psychiatrist?', rows)
    assert.isTrue(missing.handoff)
    const named = answerExtractively('What is the annual premium for a dentist on Standard?', rows)
    assert.isFalse(named.handoff)
    assert.include(named.text, '6875')
    assert.isAbove(named.confidence, missing.confidence)
  })
})

const LOCUM = hit(
  'Your cover follows you when you work as a locum. Locum tenens engagements are covered automatically on the same terms as your regular practice, provided that:\n\n- the work is within your declared specialty and the scope of your licence;\n- the hospital or clinic where you work as a locum is licensed by the competent health authority;\n- the work takes place within the territorial limits.',
  { sourceId: POLICY, headingPath: ['4. Locum cover'] },
  1
)
const LOCUM_DEFINITION = hit(
  'A locum tenens engagement is a temporary engagement in which you stand in for another clinician, or fill a vacancy, at a hospital, clinic or practice for a fixed period.',
  { sourceId: POLICY, headingPath: ['2. Definitions', '2.10 Locum tenens'] },
  2
)
const GROUP_DISCOUNT = hit(
  'A clinic or practice that insures five or more clinicians with us under one account receives a group discount of 7.5% on each clinician’s premium.',
  { title: 'Insurance FAQ', headingPath: ['Do you offer a discount for groups of clinicians?'] },
  2
)
const LATE_NOTICE = hit(
  'If you notify a claim late and the delay increases the amount we must pay, we may reduce our payment by the amount of the increase.',
  { sourceId: POLICY, headingPath: ['9. How to make a claim', '9.6 Late notification'] },
  1
)
const CARD = hit(
  'You join at reception with your Emirates ID or passport and a passport-size photo. Your membership card is printed the same day. A replacement card costs AED 50.',
  { title: 'Club handbook', headingPath: ['Joining and your membership card'] },
  2
)
const PREMIUM_BY_CARD = hit(
  'We do not offer monthly payments. You can pay the annual premium in one payment by card or bank transfer, or in four quarterly instalments, which carry a 3% instalment charge.',
  { title: 'Insurance FAQ', headingPath: ['Can I pay by monthly instalments?'] },
  1
)
const GUESTS_AR = hit(
  'يحق لكل عضو إحضار ضيفين كحد أقصى في الشهر. تبلغ رسوم تصريح الضيف 75 درهماً للزيارة الواحدة.',
  { title: 'دليل أعضاء نادي الواحة', headingPath: ['الضيوف'] },
  1
)
const FREEZE_AR = hit(
  'يمكنك تجميد عضويتك لأسباب طبية أو للسفر لمدة تتراوح بين أسبوعين وثلاثة أشهر، مرة واحدة في كل سنة عضوية.',
  { title: 'دليل أعضاء نادي الواحة', headingPath: ['تجميد العضوية'] },
  2
)

test.group('Extractive answers | answer types and conditions', () => {
  test('a yes/no answer keeps its condition and the list the condition introduces', ({
    assert,
  }) => {
    const answer = answerExtractively('Does my cover follow me if I do locum shifts overseas?', [
      LOCUM,
      LOCUM_DEFINITION,
    ])
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'Your cover follows you when you work as a locum.')
    assert.include(answer.text, 'provided that:')
    assert.include(answer.text, 'the work takes place within the territorial limits')
  })

  test('a list item is quoted with the sentence it continues', ({ assert }) => {
    const answer = answerExtractively(
      'Am I covered at a clinic that is not licensed by the health authority?',
      [LOCUM]
    )
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'licensed by the competent health authority')
    assert.include(answer.text, 'covered automatically')
  })

  test('a definition does not answer a yes/no question when a clause rules on it', ({ assert }) => {
    const answer = answerExtractively(
      'Is a locum tenens engagement at another clinic covered automatically?',
      [LOCUM_DEFINITION, LOCUM]
    )
    assert.isFalse(answer.handoff)
    assert.include(answer.citations[0].quote, 'covered automatically')
  })

  test('a section’s outline number does not answer a number in the question', ({ assert }) => {
    const answer = answerExtractively('We’re a clinic of 6 nurses, can we get a cheaper rate?', [
      LATE_NOTICE,
      GROUP_DISCOUNT,
    ])
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'group discount of 7.5%')
  })

  test('“a new one” is not the number 1, and “what do I pay” asks for an amount', ({ assert }) => {
    assert.notInclude(contentTerms('what do I pay for a new one?'), '1')
    assert.include(contentTerms('one payment'), '1')
    assert.equal(askedFact('My card got damaged, what do I pay for a new one?'), 'amount')
    const answer = answerExtractively('My card got damaged, what do I pay for a new one?', [
      PREMIUM_BY_CARD,
      CARD,
    ])
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'A replacement card costs AED 50')
  })

  test('an Arabic duration is a number of days, weeks or months, not a rate per month', ({
    assert,
  }) => {
    const question = 'ابي اوقف اشتراكي مؤقت، كم اقصى مدة؟'
    assert.equal(askedFact(question), 'duration')
    const answer = answerExtractively(question, [GUESTS_AR, FREEZE_AR])
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'بين أسبوعين وثلاثة أشهر')
  })

  test('the sentence asking decides the type, after the circumstances or a condition', ({
    assert,
  }) => {
    assert.equal(
      questionType('It has been 12 days since my documents arrived. Do I get the premium back?'),
      'yesno'
    )
    assert.equal(questionType('If I cancel after two weeks, do I get money back?'), 'yesno')
    assert.equal(questionType('I lost my card. How much is a new one?'), 'amount')
    assert.equal(askedFact('Can my 14 year old son use the gym?'), 'age')
    // A deadline is a duration ("within 30 days"); كم ادفع asks for an amount.
    assert.equal(askedFact('By when must I inform you?'), 'duration')
    assert.equal(askedFact('What is the time limit for reporting a claim?'), 'duration')
    assert.equal(askedFact('متى لازم أبلغكم عن مطالبة؟'), 'duration')
    assert.equal(askedFact('كم ادفع عشان اجيب ضيف معي؟'), 'amount')
  })

  test('a figure of the customer’s own is answered by a passage stating one of its kind', ({
    assert,
  }) => {
    assert.deepEqual(
      [...questionFigures('It has been two weeks, my 14 year old son')],
      [
        ['14', 'age'],
        ['year', 'age'],
        ['old', 'age'],
        ['2', 'duration'],
        ['week', 'duration'],
      ]
    )
    assert.equal(questionFigures('a few days ago').size, 0)
    const answer = answerExtractively(
      'It has been 12 days since my policy documents arrived and I want to cancel. Do I get the full premium back?',
      [
        hit(
          'You may cancel this policy within 14 days of receiving your documents, and we will refund the premium in full as long as no claim or incident has been notified.',
          { sourceId: POLICY, headingPath: ['12. Cancellation', '12.1 Your right to cancel'] },
          1
        ),
        CLAIMS,
      ]
    )
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'within 14 days')
  })

  test('a thing counted that no passage knows (“how many sick days”) is not covered', ({
    assert,
  }) => {
    assert.deepEqual(askedThing('How many sick days a year does the policy pay?'), ['sick', 'day'])
    assert.deepEqual(askedThing('How many guests can I bring?'), ['guest'])
    assert.isEmpty(askedThing('How much is it?'))
    const question = 'How many sick days a year does the policy pay if I cannot work?'
    const extended = hit(
      'You can choose an extended reporting period of one year for 100% of the last annual premium, three years for 175%, or five years for 250%. You must apply within 30 days after the policy ends.',
      { sourceId: POLICY, headingPath: ['10. Extended reporting period'] },
      1
    )
    assert.isTrue(answerExtractively(question, [extended, CLAIMS]).handoff)
  })

  test('“which countries” is answered by a passage naming them', ({ assert }) => {
    const question = 'Which countries does the territory include?'
    assert.equal(askedFact(question), 'place')
    const answer = answerExtractively(question, [
      hit(
        'We cover healthcare services provided within the territorial limits, and claims brought in the courts of a country within the territorial limits.',
        { sourceId: POLICY, headingPath: ['7. Territorial and jurisdictional limits'] },
        1
      ),
      hit(
        'The territorial limits are the United Arab Emirates, the Kingdom of Saudi Arabia, the State of Qatar and the Sultanate of Oman.',
        { sourceId: POLICY, headingPath: ['2. Definitions', '2.12 Territorial limits'] },
        2
      ),
    ])
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'the State of Qatar')
  })
})

test.group('Text toolkit | matching a customer’s words', () => {
  test('doubled consonants, irregular pasts and e-mail meet their words', ({ assert }) => {
    assert.deepEqual(contentTerms('stopped tripped planning'), ['stop', 'trip', 'plan'])
    assert.deepEqual(contentTerms('filled missed'), ['fill', 'miss'])
    assert.deepEqual(contentTerms('I paid, we sent'), ['pay', 'send'])
    assert.deepEqual(contentTerms('by e-mail'), contentTerms('by email'))
    assert.deepEqual(contentTerms('in the news'), ['news'])
  })

  test('a long word meets its word across two typos, a short one across none', ({ assert }) => {
    const match = (a: string, b: string) => termMatch(contentTerms(a)[0], new Set(contentTerms(b)))
    assert.isAtLeast(match('acomodation', 'accommodation'), 0.65)
    assert.isAtLeast(match('physioterapy', 'physiotherapy'), 0.7)
    assert.equal(match('insurance', 'assurance'), 0)
    assert.equal(match('card', 'care'), 0)
  })

  test('Persian-keyboard letters and Gulf, Levantine and Egyptian question words fold away', ({
    assert,
  }) => {
    assert.equal(foldText('کم یوم'), foldText('كم يوم'))
    assert.deepEqual(contentTerms('شنو امتى يفتح النادي'), contentTerms('متى يفتح النادي'))
    assert.equal(askedFact('قديش رسوم الضيف؟'), 'amount')
    assert.equal(askedFact('بكام تصريح الضيف'), 'amount')
    assert.equal(askedFact('امتى يفتح النادي بالعيد؟'), 'time')
  })

  test('numbers written as words meet their digits, in English and Arabic', ({ assert }) => {
    assert.includeMembers(contentTerms('park longer than three hours'), ['3'])
    assert.includeMembers(contentTerms('خلال ثلاثين يوماً'), ['30'])
    assert.includeMembers(contentTerms('بثلاثين دقيقة'), ['30'])
  })

  test('inflected stop words are stop words', ({ assert }) => {
    assert.notInclude(contentTerms('Our practice wants a discount'), 'want')
    assert.include(contentTerms('paying a claim'), 'pay')
  })

  test('a synonym meets other forms of its word', ({ assert }) => {
    const [restored] = contentTerms('restored')
    assert.isAtLeast(termMatch(restored, new Set(contentTerms('reinstatement'))), 0.8)
    const [advance] = contentTerms('advance')
    assert.isAtLeast(termMatch(advance, new Set(contentTerms('ahead'))), 0.8)
  })

  test('Arabic verbs meet their words with or without the person and tense letters', ({
    assert,
  }) => {
    const [keep] = contentTerms('تحتفظون')
    assert.isAtLeast(termMatch(keep, new Set(contentTerms('ونحتفظ بالمفقودات'))), 0.8)
    const [work] = contentTerms('أعمل')
    assert.isAtLeast(termMatch(work, new Set(contentTerms('العمل كطبيب بديل'))), 0.8)
  })
})

test.group('Text toolkit | everyday words', () => {
  test('an Arabic word meets its form with the preposition ل or ك in front', ({ assert }) => {
    const [age] = contentTerms('لعمر')
    assert.isAtLeast(termMatch(age, new Set(contentTerms('عمر الضيف'))), 0.8)
    const [guest] = contentTerms('كضيف')
    assert.isAtLeast(termMatch(guest, new Set(contentTerms('رسوم تصريح الضيف'))), 0.8)
  })

  test('Gulf “can” and a preposition with its pronoun are stop words; an age figure in Arabic', ({
    assert,
  }) => {
    assert.deepEqual(contentTerms('يقدر يدخل'), contentTerms('يدخل'))
    assert.isEmpty(contentTerms('فيها'))
    assert.equal(askedFact('ولدي عمره 10 سنين، يقدر يدخل الجيم؟'), 'age')
    assert.equal(questionFigures('ولدي عمره 10 سنين').get('10'), 'age')
  })

  test('when it happened weighs as little as an adverb; a heading’s initials are its name', ({
    assert,
  }) => {
    const [yesterday] = contentTerms('yesterday')
    assert.isTrue(isMannerAdverb(yesterday))
    assert.include(acronymsOf('Personal training', { pairs: true }), 'pt')
    assert.notInclude(acronymsOf('Personal training'), 'pt')
    const [forgot] = contentTerms('I forgot my bag')
    assert.isAtLeast(termMatch(forgot, new Set(contentTerms('lost property'))), 0.8)
  })

  test('idioms read as the word they mean', ({ assert }) => {
    assert.include(contentTerms('Does my guest have to fill in a form?'), 'complete')
    assert.notInclude(contentTerms('Does my guest have to fill in a form?'), 'fill')
    assert.include(contentTerms('Can I work out alone?'), 'exercise')
    assert.include(contentTerms('Do I get my money back?'), 'refund')
    assert.include(contentTerms('I am retiring for good'), 'permanently')
    const [fault] = contentTerms('fault')
    assert.isAtLeast(termMatch(fault, new Set(contentTerms('admit liability'))), 0.8)
  })
})

test.group('Answer retrieval | rarity', () => {
  test('the pool is re-ranked by how rare the question’s words are among it', ({ assert }) => {
    // Passages sharing the question's common words, as an insurer's are.
    const common = [
      'You can pay the annual premium in one payment, and the insurer confirms cover.',
      'The insurer will pay a patient compensation the insurer agrees.',
      'If the insurer pays a claim in full, you must repay the excess.',
      'A patient may complain to the insurer, and the insurer will pay defence costs.',
      'The insurer reviews the claims history of a patient-facing surgeon.',
      'We pay the cost of replacing patient records.',
    ].map((text, i) => hit(text, {}, i + 1))
    const courts = hit(
      'Claims brought in the courts of the United States of America or Canada are not covered.',
      { headingPath: ['7. Territorial and jurisdictional limits'] },
      9
    )
    const pool = [...common, courts]
    const ranked = rankByRarity(
      'If a patient takes me to court in America, will the insurer pay?',
      pool
    )
    assert.equal(ranked[0], courts)
  })
})

test.group('Text toolkit | synonyms for full text, adverbs', () => {
  test("each question word comes with the lexicon's other words for it", ({ assert }) => {
    const found = new Map(
      synonymWordsByWord('Can I quit my yearly plan?').map((w) => [w.word, w.synonyms])
    )
    assert.includeMembers(found.get('quit') ?? [], ['cancel', 'terminate'])
    assert.include(found.get('yearly') ?? [], 'annual')
    assert.notInclude(found.get('yearly') ?? [], 'yearly')
    // Words the lexicon does not know, and stop words, have none.
    assert.isFalse(found.has('plan'))
    assert.isFalse(found.has('can'))
    const arabic = synonymWordsByWord('ابي اكنسل اشتراكي')
    assert.isTrue(arabic.some((w) => w.synonyms.includes('الغاء')))
  })

  test('-ly adverbs of manner and time are told from words that say what is asked', ({
    assert,
  }) => {
    for (const word of ['purely', 'recently', 'genuinely', 'strictly'])
      assert.isTrue(isMannerAdverb(word), word)
    for (const word of ['quarterly', 'weekly', 'annually', 'family', 'apply', 'only', 'early'])
      assert.isFalse(isMannerAdverb(word), word)
  })

  test('an adverb no passage holds does not turn an answer into a handoff', ({ assert }) => {
    const plain = answerExtractively('Are group classes free?', [CLASSES])
    const coloured = answerExtractively('Are group classes genuinely free?', [CLASSES])
    assert.isFalse(plain.handoff)
    assert.isFalse(coloured.handoff)
    // Weighed as a word of the question, it would leave the answer at ~0.5.
    assert.isAtLeast(coloured.confidence, 0.8)
  })
})

test.group('Extractive answers | what a fact is about', () => {
  const CLUB = 'Oasis Fitness Club handbook'
  const clubHit = (text: string, heading: string, rank = 1) =>
    hit(text, { title: CLUB, headingPath: [CLUB, heading] }, rank)
  const CANCELLING = clubHit(
    "Annual memberships can only be cancelled in the first 14 days, with a full refund, or after that for a medical reason with a doctor's note, in which case we refund the unused months less a fee of AED 250.",
    'Cancelling your membership'
  )
  const JOINING = clubHit(
    'You join at reception with your Emirates ID or passport and a passport-size photo. Your membership card is printed the same day. A replacement card costs AED 50.',
    'Joining and your membership card',
    2
  )
  const GUESTS = clubHit(
    'Each member may bring up to two guests a month. A guest pass costs AED 75 per visit, and guests must sign the health declaration at reception.',
    'Guests',
    3
  )

  test('what a price or count is asked of: its words, and the noun it is about', ({ assert }) => {
    const of = (question: string) => factSubject(question, questionType(question))
    assert.deepEqual(of('How much is the annual membership fee?'), {
      head: 'membership',
      words: ['annual', 'membership'],
    })
    // What follows "for" is what the premium is of; Arabic puts it after the price noun.
    assert.equal(of('What is the annual premium for a psychiatrist?')?.head, 'psychiatrist')
    assert.equal(of('كم سعر الاشتراك السنوي في النادي؟')?.head, 'اشتراك')
    // "single", "one", "new" say which, not what.
    assert.deepEqual(of('How much does a single personal training session cost?')?.words, [
      'personal',
      'train',
      'session',
    ])
    assert.isNull(of('I lost my membership card, how much for a new one?'))
    assert.isNull(of('How much is it?'))
    // What is counted is the last word; "how many times" asks how often.
    assert.deepEqual(of('How many free personal training sessions come with a membership?'), {
      head: 'session',
      words: ['session'],
    })
    assert.isNull(of('How many times can my limit be reinstated?'))
    // ", and how much is it?" after a yes/no question asks the amount.
    assert.equal(
      questionType('Is there a joining fee when I sign up, and how much is it?'),
      'amount'
    )
    assert.equal(questionType('Is there a joining fee when I sign up?'), 'yesno')
  })

  test('an amount states a price of the thing only in a clause about it', ({ assert }) => {
    const annual = factSubject('How much is the annual membership fee?', 'amount')!
    const frame = `${CLUB} Cancelling your membership`
    // The fee is in a clause about refunding unused months, the refund is no price.
    assert.isFalse(statesFactOf('amount', { text: CANCELLING.text, context: '', frame }, annual))
    const card = factSubject('How much is a replacement card?', 'amount')!
    assert.isTrue(
      statesFactOf(
        'amount',
        { text: 'A replacement card costs AED 50.', context: '', frame: `${CLUB} Joining` },
        card
      )
    )
    // The noun must be in the clause, not only in the heading over it.
    const joining = factSubject('How much is the joining fee?', 'amount')!
    assert.isFalse(
      statesFactOf(
        'amount',
        { text: 'A replacement card costs AED 50.', context: '', frame: `${CLUB} Joining` },
        joining
      )
    )
    // A table row is one record, its header naming what its figures are.
    const neurosurgeon = factSubject('What is the annual premium for a neurosurgeon?', 'amount')!
    assert.isTrue(
      statesFactOf(
        'amount',
        {
          text: 'Plan: Premier; Specialty: Neurosurgery; Limit of indemnity (AED): 5000000; Annual premium (AED): 54300',
          context: '',
          frame: 'Price list 2025',
        },
        neurosurgeon
      )
    )
  })

  test('a price of something no passage prices is refused, one it prices is answered', ({
    assert,
  }) => {
    const hits = [CANCELLING, JOINING, GUESTS]
    assert.isTrue(answerExtractively('How much is the annual membership fee?', hits).handoff)
    assert.isTrue(
      answerExtractively('Is there a joining fee when I sign up, and how much is it?', hits).handoff
    )
    const card = answerExtractively('How much is a replacement membership card?', hits)
    assert.isFalse(card.handoff)
    assert.include(card.text, 'AED 50')
    const guest = answerExtractively('How much is a guest pass?', hits)
    assert.isFalse(guest.handoff)
    assert.include(guest.text, 'AED 75')
    const cancelFee = answerExtractively(
      'What fee do you keep if I cancel my annual membership for a medical reason?',
      hits
    )
    assert.isFalse(cancelFee.handoff)
    assert.include(cancelFee.text, 'AED 250')
  })

  test('a yes/no answer must be about the question’s subject and what it asks exists', ({
    assert,
  }) => {
    assert.deepEqual(yesNoThings('Does my guest need to show an ID card at reception?'), {
      subject: ['guest'],
      object: [],
    })
    assert.deepEqual(yesNoThings('Do your lockers have electronic code locks?').object, [
      'electronic',
      'code',
      'lock',
    ])
    assert.deepEqual(yesNoThings('Can my 14 year old son work out in the gym alone?').subject, [
      'son',
      'exercise',
    ])
    assert.deepEqual(yesNoThings('If the patient sues, will that claim be covered?').subject, [
      'claim',
    ])
    assert.deepEqual(yesNoThings('Can I bring a guest?'), { subject: [], object: [] })
    // The business named is "you": its documents say "we".
    assert.isEmpty(yesNoThings('If a patient takes me to court, will the insurer pay?').subject)
    assert.deepEqual(yesNoThings('Does the club have a sauna?'), { subject: [], object: ['sauna'] })

    const hits = [JOINING, GUESTS]
    const guestId = answerExtractively('Does my guest need to show an ID card at reception?', hits)
    const memberId = answerExtractively('Do I need to show an ID card to join?', hits)
    assert.isTrue(guestId.handoff)
    assert.isFalse(memberId.handoff)
    assert.include(memberId.text, 'Emirates ID')
    const lockers = clubHit(
      'Towels are provided free of charge. Day lockers are free; you bring your own padlock.',
      'Towels, lockers and lost property'
    )
    assert.isTrue(
      answerExtractively('Do your lockers have electronic code locks?', [lockers]).handoff
    )
    assert.isFalse(answerExtractively('Do I need my own lock for the lockers?', [lockers]).handoff)
  })
})
