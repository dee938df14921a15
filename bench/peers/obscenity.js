// Prints obscenity's answer (1 profane, 0 not) for each case of the
// evaluation set given as argument, in order. Run by run.sh.
const fs = require('fs');
const { RegExpMatcher, englishDataset, englishRecommendedTransformers } = require('obscenity');

const matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n');
const out = [];
for (const line of lines) {
  if (line === '' || line.startsWith('#')) continue;
  const text = line.split('\t').slice(2).join('\t');
  out.push(matcher.hasMatch(text) ? '1' : '0');
}
process.stdout.write(out.join('\n') + '\n');
