import vine from '@vinejs/vine'

const timezones = new Set(Intl.supportedValuesOf('timeZone').concat('UTC'))

export const profileValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(120),
    locale: vine.enum(['en', 'ar'] as const),
    timezone: vine
      .string()
      .trim()
      .use(
        vine.createRule((value, _options, field) => {
          if (typeof value === 'string' && !timezones.has(value)) {
            field.report('Choose a time zone from the list', 'timezone', field)
          }
        })()
      ),
  })
)

export const timezoneChoices = [...timezones].sort()
