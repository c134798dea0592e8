/** The error `promise` rejected with; fails the test when it resolved (the call was expected to fail). */
export async function failure(promise: Promise<unknown>, what = 'the call'): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected ${what} to fail`);
}
