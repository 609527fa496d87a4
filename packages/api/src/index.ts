export { appRouter, createCaller, type TAppRouter } from "./root";
export type { TContext, TIdentity, TMeta } from "./trpc";
export { AppError } from "./errors";
export { signUpState } from "./services/identity";
export { receiptCsv, RECEIPT_CSV_COLUMNS } from "./services/receipt-csv";
export type { TReceipt } from "./services/receipts";
