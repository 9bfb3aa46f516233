// workerd standalone (the bench) has no cloudflare:email; the Agents SDK
// imports EmailMessage from it for email features this fixture never uses.
export class EmailMessage {}
