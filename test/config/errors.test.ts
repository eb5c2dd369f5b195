import { invalidValue } from '../../src/config/errors';

test('invalidValue names the field, the value and what is allowed', () => {
  expect(invalidValue('cpu', 3, 'expected 1, 2, 4').message).toBe('cpu: 3 is not valid; expected 1, 2, 4');
  expect(invalidValue('name', 'Bad_Name', 'lowercase').message).toBe("name: 'Bad_Name' is not valid; lowercase");
  expect(invalidValue('x', undefined, 'required').message).toBe('x: undefined is not valid; required');
});
