// The helpers live with the register's testing tools so its own tests can use them too.
export * from '@tizilim/register-api/testing/child-process';
