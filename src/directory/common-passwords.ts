/**
 * Some of the most used passwords, lower-cased, from public breach-derived
 * top lists (SecLists' `10-million-password-list-top-1000`, NCSC's 100k list).
 * NIST SP 800-63B §3.1.1.2 asks verifiers to refuse "commonly-used" passwords;
 * a short list catches what the length and class rules let through.
 */
export const commonPasswords: ReadonlySet<string> = new Set([
  '123456', 'password', '123456789', '12345678', '12345', 'qwerty', '1234567', '111111', '1234567890', '123123',
  'abc123', '1234', 'password1', 'iloveyou', '1q2w3e4r', '000000', 'qwerty123', 'zaq12wsx', 'dragon', 'sunshine',
  'princess', 'letmein', '654321', 'monkey', '27653', '1qaz2wsx', '123321', 'qwertyuiop', 'superman', 'asdfghjkl',
  '666666', '121212', 'football', 'baseball', 'welcome', 'admin', 'admin123', 'passw0rd', 'p@ssw0rd', 'password123',
  'trustno1', 'master', 'hello', 'freedom', 'whatever', 'qazwsx', 'michael', 'shadow', '123qwe', 'killer', 'jordan',
  'jennifer', 'hunter', 'buster', 'soccer', 'harley', 'batman', 'andrew', 'tigger', 'charlie', 'robert', 'thomas',
  'hockey', 'ranger', 'daniel', 'starwars', 'klaster', '112233', 'george', 'computer', 'michelle', 'jessica',
  'pepper', '1111', 'zxcvbn', '555555', '11111111', '131313', 'mustang', '7777777', 'love', 'access', '696969',
  'maggie', '159753', 'aaaaaa', 'ginger', 'joshua', 'cheese', 'amanda', 'summer', 'ashley', 'nicole', 'chelsea',
  'biteme', 'matthew', 'yankees', '987654321', 'dallas', 'austin', 'thunder', 'taylor', 'matrix', 'minecraft',
  'william', 'corvette', 'hello123', 'martin', 'heather', 'secret', 'merlin', 'diamond', '1234qwer', 'gfhjkm',
  'hammer', 'silver', '222222', '88888888', 'anthony', 'justin', 'test', 'bailey', 'q1w2e3r4t5', 'patrick',
  'internet', 'scooter', 'orange', '11111', 'golfer', 'cookie', 'richard', 'samantha', 'bigdog', 'guitar', 'jackson',
  'whatever1', 'mickey', 'chicken', 'sparky', 'snoopy', 'maverick', 'phoenix', 'camaro', 'peanut', 'morgan',
  'welcome1', 'falcon', 'cowboy', 'ferrari', 'samsung', 'andrea', 'smokey', 'steelers', 'joseph', 'mercedes',
  'dakota', 'arsenal', 'eagles', 'melissa', 'boomer', 'booboo', 'spider', 'nascar', 'monster', 'tigers', 'yellow',
  'xxxxxx', '123123123', 'gateway', 'marina', 'diablo', 'bulldog', 'qwer1234', 'compaq', 'purple', 'banana',
  'junior', 'hannah', '123654', 'porsche', 'lakers', 'iceman', 'money', 'cowboys', '987654', 'london', 'tennis',
  '999999', 'ncc1701', 'coffee', 'scooby', '0000', 'miller', 'boston', 'q1w2e3r4', 'brandon', 'yamaha', 'chester',
  'mother', 'forever', 'johnny', 'edward', '333333', 'oliver', 'redsox', 'player', 'nikita', 'knight', 'fender',
  'barney', 'midnight', 'please', 'brandy', 'chicago', 'badboy', 'slayer', 'rangers', 'charles', 'angel', 'flower',
  'bigdaddy', 'rabbit', 'wizard', 'jasper', 'enter', 'rachel', 'chris', 'zxcvbnm', '1q2w3e', '1qazxsw2', 'qwerty1',
  'letmein1', 'changeme', 'default', 'passpass', 'solo', 'abcd1234', 'abcdef', '123abc', '1234abcd', 'test123',
  'guest', 'login', 'loveme', 'lovely',
]);
