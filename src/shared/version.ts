/** Program version, shared by tsiscsid and tsiscsiadm. */
export const VERSION = '0.1.0';
