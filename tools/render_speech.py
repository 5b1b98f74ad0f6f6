"""Renders labelled speech from Festival's diphone voices: a speech selection set.

  python tools/render_speech.py --minutes 10 --seed 2100 --out /work/data/speech_festival

The project's other speech-like set (`speech_small`) comes from the same note
generator the model trains on, so it cannot tell whether a model learnt
speech or learnt the generator. This set is made another way. Festival's
diphone voices concatenate diphones cut from recordings of real speakers and
impose a pitch contour on them by residual-excited LPC, one excitation pulse
per pitch mark. The pitch marks are laid from Festival's own f0 track, so
that track is the f0 of the audio, period by period: it is written as the
label (`<name>.f0.csv`, `time_s,f0_hz` every 10 ms, 0 = unvoiced).

Each file is one utterance of random words (English, Italian or Czech, by
voice), spoken by one of six voices (two American men, an Italian man and
woman, a Czech woman and a Czech boy). Its contour is Festival's intonation
for the words, moved to a random mean f0 in the voice's range and stretched
or squeezed about that mean (`RANGE_FACTOR`), so the set spans speech from
about 60 to 450 Hz with flat and lively contours, questions and lists. Its
speaking rate is random too.

Voicing comes from the phones: frames inside vowels and voiced sonorants
(nasals, liquids, glides), merged into runs, less `EDGE_S` at each end of a
run. Voiced fricatives and stops, and the first and last frames of each
voiced stretch, where a label would be a guess, are left unlabelled; raw
pitch accuracy only counts labelled frames. What is not in it: creak, breath
and reverberation (`tools/octave_report.py --variants reverb` adds rooms).

Seeds used so far (file seeds are `SeedSequence([seed, index])`):
  * 2100: the speech selection set of issue 18 (`--minutes 10`), rendered
    into /work/data/speech_festival, outside the repository. A selection
    set, never training audio, and not eval-data.

Needs Debian's festival and its voices: see INSTALL_HINT.
"""

import argparse
import collections
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render_melodies  # pylint: disable=g-import-not-at-top,wrong-import-position

SAMPLE_RATE = 16000
LABEL_HOP_S = 0.01
EDGE_S = 0.02                  # left unlabelled at each end of a voiced run
MIN_RUN_S = 0.03               # shorter voiced runs are left unlabelled
RANGE_FACTOR = (0.7, 2.5)      # log-f0 excursions about the mean, x this
DURATION_STRETCH = (0.8, 1.3)  # Festival's Duration_Stretch: > 1 is slower
WORDS_PER_UTTERANCE = (5, 16)
INSTALL_HINT = ('apt-get install festival festvox-kallpc16k festvox-kdlpc16k '
                'festvox-italp16k festvox-itapc16k festvox-czech-dita '
                'festvox-czech-krb')

Voice = collections.namedtuple('Voice', 'name language f0_range_hz')
VOICES = (
    Voice('kal_diphone', 'en', (70.0, 170.0)),
    Voice('ked_diphone', 'en', (70.0, 170.0)),
    Voice('pc_diphone', 'it', (75.0, 180.0)),
    Voice('lp_diphone', 'it', (150.0, 300.0)),
    Voice('czech_dita', 'cs', (150.0, 320.0)),
    Voice('czech_krb', 'cs', (190.0, 400.0)),
)

# Everyday words, ASCII only (Festival's Czech front end reads Latin-2; plain
# letters keep the text the same in every encoding).
WORDS = {
    'en': '''the a of and to in is was that he she it for on are with as his
they at be this from have or one had by word but not what all were we when
your can said there use an each which do how their if will up other about
out many then them these so some her would make like him into time has look
two more write go see number no way could people my than first water been
call who oil now find long down day did get come made may part over new
sound take only little work know place year live me back give most very
after thing our just name good sentence man think say great where help
through much before line right too mean old any same tell boy follow came
want show also around form three small set put end does another well large
must big even such because turn here why ask went men read need land
different home us move try kind hand picture again change off play spell
air away animal house point page letter mother answer found study still
learn should world high every near add food between own below country plant
last school father keep tree never start city earth eye light thought head
under story saw left few while along might close something seem next hard
open example begin life always those both paper together got group often
run important until children side feet car mile night walk white sea began
grow took river four carry state once book hear stop without second late
miss idea enough eat face watch far real almost let above girl sometimes
mountain cut young talk soon list song being leave family morning'''.split(),
    'it': '''casa sole mare amico giorno notte bello sempre quando dove molto
tempo strada citta acqua fuoco terra cielo vento luna stella fiore albero
libro porta finestra tavolo sedia pane vino latte madre padre fratello
sorella bambino ragazza uomo donna cane gatto cavallo uccello pesce montagna
fiume lago bosco campo paese mondo vita amore cuore mano occhio testa voce
parola nome lavoro scuola musica canzone colore rosso verde azzurro bianco
nero grande piccolo nuovo vecchio lungo corto caldo freddo dolce forte piano
oggi domani ieri adesso presto tardi bene male anche ancora poi allora
perche come cosa questo quello tutto niente qualcosa andare venire parlare
cantare mangiare dormire vedere sentire capire sapere volere potere'''.split(),
    'cs': '''dobry den voda mesto reka hrad les pes kocka skola dum okno
stul zidle chleb mleko maso matka otec bratr sestra dite muz zena kun ptak
ryba hora jezero pole svet zivot laska srdce ruka oko hlava hlas slovo
jmeno prace hudba pisen barva cerveny zeleny modry bily cerny velky maly
novy stary dlouhy kratky teply studeny dnes zitra vcera ted brzy pozde
dobre spatne take jeste potom proto protoze jak kde kdy co kdo tento
vsechno nic neco jit prijit mluvit zpivat jist spat videt slyset rozumet
vedet chtit moci slunce mesic hvezda vitr dest snih zima leto jaro
podzim rano vecer noc cesta vlak auto kolo more pisek kamen strom kvetina
trava jablko hruska kava caj polevka kniha papir pero obraz pokoj kuchyne
zahrada park ulice namesti kostel divadlo kino obchod trh penize'''.split(),
}


# ------------------------------------------------------------- the plan
Utterance = collections.namedtuple(
    'Utterance', 'index seed voice text mean_f0_hz range_factor stretch '
    'level_db')


def draw_text(rng, language):
  """A random sentence of WORDS_PER_UTTERANCE words, with commas and an end.

  The punctuation gives Festival's phrasing and intonation something to do:
  phrase breaks at commas, falls at full stops, rises at questions.
  """
  n = int(rng.integers(WORDS_PER_UTTERANCE[0], WORDS_PER_UTTERANCE[1] + 1))
  words = list(rng.choice(WORDS[language], size=n))
  for i in range(2, n - 2):
    if rng.random() < 0.12:
      words[i] += ','
  words[0] = words[0].capitalize()
  return ' '.join(words) + ('?' if rng.random() < 0.3 else '.')


def draw_utterance(index, file_seed):
  """One Utterance, drawn from its own seed."""
  rng = np.random.default_rng(file_seed)
  voice = VOICES[int(rng.integers(len(VOICES)))]
  low, high = voice.f0_range_hz
  return Utterance(
      index=index, seed=file_seed, voice=voice,
      text=draw_text(rng, voice.language),
      mean_f0_hz=float(np.exp(rng.uniform(np.log(low), np.log(high)))),
      range_factor=float(np.exp(rng.uniform(*np.log(RANGE_FACTOR)))),
      stretch=float(rng.uniform(*DURATION_STRETCH)),
      level_db=float(rng.uniform(*render_melodies.LEVEL_DB)))


def plan(seed, count):
  """[Utterance] for files 0..count-1; each file's seed is spawned from seed."""
  return [draw_utterance(
      i, int(np.random.SeedSequence([seed, i]).generate_state(1)[0]))
          for i in range(count)]


def file_name(utterance):
  return f'speech_{utterance.index:05d}_{utterance.voice.name}'


# ------------------------------------------------------------- Festival
# Synthesizes one utterance module by module, so that the f0 targets can be
# moved between Int_Targets and Wave_Synth: each target's log f0 becomes
# mean + factor * (its log f0 - the utterance's mean log f0). UniSyn then
# lays its pitch marks from those targets. Writes the wave, the f0 track
# (est_ascii) and one line per phone, at 16 kHz (the Czech voices speak at
# 32): end time, name, vowel, voicing, type.
_SCHEME_PRELUDE = r'''
(define (pf_targets utt)
  (let ((found nil))
    (mapcar (lambda (i) (if (> (item.feat i "f0") 0) (set! found (cons i found))))
            (utt.relation.items utt 'Target))
    found))
(define (pf_move_targets utt log_mean factor)
  (let ((targets (pf_targets utt)) (total 0) (n 0))
    (mapcar (lambda (i) (set! total (+ total (log (item.feat i "f0")))) (set! n (+ n 1)))
            targets)
    (if (> n 0)
        (mapcar (lambda (i)
                  (item.set_feat i "f0"
                    (exp (+ log_mean (* factor (- (log (item.feat i "f0")) (/ total n)))))))
                targets))))
(define (pf_phones utt path has_ctype)
  (let ((fd (fopen path "w")))
    (mapcar (lambda (s)
              (format fd "%s %s %s %s %s\n" (item.feat s "end") (item.name s)
                      (item.feat s "ph_vc") (item.feat s "ph_cvox")
                      (if has_ctype (item.feat s "ph_ctype") "0")))
            (utt.relation.items utt 'Segment))
    (fclose fd)))
(define (pf_speak text log_mean factor stretch stem has_ctype)
  (Parameter.set 'Duration_Stretch stretch)
  (let ((utt (eval (list 'Utterance 'Text text))))
    (Initialize utt) (Text utt) (Token_POS utt) (Token utt) (POS utt)
    (Phrasify utt) (Word utt) (Pauses utt) (Intonation utt) (PostLex utt)
    (Duration utt) (Int_Targets utt)
    (pf_move_targets utt log_mean factor)
    (Wave_Synth utt)
    (utt.wave.resample utt 16000)
    (utt.save.wave utt (string-append stem ".wav") 'riff)
    (track.save (item.feat (utt.relation.first utt 'f0) "f0")
                (string-append stem ".f0") "est_ascii")
    (pf_phones utt (string-append stem ".phones") has_ctype)))
'''


def _scheme_string(text):
  return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'


def festival_script(utterances, directory):
  """The Scheme program that speaks every utterance into directory."""
  lines = [_SCHEME_PRELUDE]
  for u in utterances:
    stem = os.path.join(directory, str(u.index))
    has_ctype = 'nil' if u.voice.language == 'cs' else 't'
    lines.append(f'(voice_{u.voice.name})')
    lines.append(
        f'(pf_speak {_scheme_string(u.text)} {np.log(u.mean_f0_hz):.6f} '
        f'{u.range_factor:.6f} {u.stretch:.6f} {_scheme_string(stem)} '
        f'{has_ctype})')
  return '\n'.join(lines) + '\n'


def read_est_track(path):
  """(times s [n], f0 Hz [n], voiced [n] bool) of an est_ascii f0 track."""
  with open(path, encoding='latin-1') as f:
    body = f.read().split('EST_Header_End', 1)[1]
  values = np.array(body.split(), dtype=np.float64).reshape(-1, 3)
  return values[:, 0], values[:, 2], values[:, 1] > 0


def read_phones(path):
  """[(end s, name, vowel, voicing, type)] as pf_phones wrote them."""
  with open(path, encoding='latin-1') as f:
    rows = [line.split() for line in f if line.strip()]
  return [(float(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def is_voiced_core(vowel, voicing, kind):
  """Whether a phone is one whose every frame is voiced.

  Vowels, and sonorant consonants: nasals, liquids and glides (`ctype` n, l,
  r in the English and Italian phone sets; Czech marks its sonorants as
  uniquely voiced, `cvox` u).
  """
  return vowel == '+' or voicing == 'u' or (
      voicing == '+' and kind in ('n', 'l', 'r'))


def voiced_runs(phones, edge_s=EDGE_S, min_run_s=MIN_RUN_S):
  """[(start s, end s)] of merged voiced-core phones, less edge_s each side."""
  runs, start = [], 0.0
  for end, _, vowel, voicing, kind in phones:
    if is_voiced_core(vowel, voicing, kind):
      if runs and abs(runs[-1][1] - start) < 1e-6:
        runs[-1] = (runs[-1][0], end)
      else:
        runs.append((start, end))
    start = end
  trimmed = [(a + edge_s, b - edge_s) for a, b in runs]
  return [(a, b) for a, b in trimmed if b - a >= min_run_s]


def f0_labels(track, phones, seconds, hop_s=LABEL_HOP_S):
  """(times s [n], f0 Hz [n], 0 = unlabelled) every hop_s over seconds.

  f0 is the track's, interpolated in log frequency, where a frame lies in a
  voiced run and the track is voiced around it.
  """
  track_t, track_f0, track_voiced = track
  times = np.arange(0.0, seconds, hop_s)
  good = track_voiced & (track_f0 > 0)
  f0 = np.exp(np.interp(times, track_t[good], np.log(track_f0[good])))
  # The track is voiced at the frames on both sides.
  nearest = np.clip(np.searchsorted(track_t, times), 1, len(track_t) - 1)
  voiced = good[nearest] & good[nearest - 1]
  in_run = np.zeros_like(times, dtype=bool)
  for a, b in voiced_runs(phones):
    in_run |= (times >= a) & (times <= b)
  return times, np.where(voiced & in_run, f0, 0.0)


# ------------------------------------------------------------- rendering
def missing_tools(voices=VOICES):
  """What is missing to render, as a sentence, or None if nothing is."""
  if shutil.which('festival') is None:
    return 'the festival program not found'
  result = subprocess.run(['festival', '-b', '(print (voice.list))'],
                          capture_output=True, text=True, check=False)
  known = set(result.stdout.replace('(', ' ').replace(')', ' ').split())
  missing = [v.name for v in voices if v.name not in known]
  if missing:
    return f'Festival voices not installed: {", ".join(missing)}'
  return None


def check_tools(voices=VOICES):
  """Exits with an install hint if festival or a voice is missing."""
  missing = missing_tools(voices)
  if missing:
    sys.exit(f'render_speech: {missing}. Install with:\n  {INSTALL_HINT}')


def render_all(utterances, out_dir, progress=True):
  """Writes each utterance's WAV, f0 CSV, and manifest.csv; returns seconds.

  Festival speaks every utterance in one process (it starts in about 0.3 s
  and speaks much faster than real time); the results are then levelled and
  written one by one, each file atomically.
  """
  import soundfile  # pylint: disable=g-import-not-at-top
  from tqdm import tqdm  # pylint: disable=g-import-not-at-top
  from pitchfit.io import atomic  # pylint: disable=g-import-not-at-top
  out_dir = pathlib.Path(out_dir)
  out_dir.mkdir(parents=True, exist_ok=True)
  rows, total = [], 0.0
  with tempfile.TemporaryDirectory() as tmp:
    script = os.path.join(tmp, 'speak.scm')
    with open(script, 'w', encoding='latin-1') as f:
      f.write(festival_script(utterances, tmp))
    result = subprocess.run(['festival', '-b', script], capture_output=True,
                            text=True, check=False)
    for u in tqdm(utterances, unit='file', disable=not progress,
                  desc='labelling'):
      stem = os.path.join(tmp, str(u.index))
      if result.returncode != 0 or not os.path.isfile(stem + '.phones'):
        raise RuntimeError(
            f'festival failed on utterance {u.index} ({u.voice.name}, '
            f'{u.text!r}): {result.stderr.strip()[-300:]}')
      audio, rate = soundfile.read(stem + '.wav', dtype='float32')
      if rate != SAMPLE_RATE:
        raise RuntimeError(f'voice {u.voice.name} speaks at {rate} Hz, not '
                           f'{SAMPLE_RATE}')
      audio = render_melodies.set_level(audio, u.level_db)
      seconds = audio.size / rate
      name = file_name(u)
      with atomic.atomic_path(out_dir / f'{name}.wav', suffix='.tmp.wav') as tmp_wav:
        soundfile.write(tmp_wav, audio, rate, subtype='PCM_16')
      times, f0 = f0_labels(read_est_track(stem + '.f0'),
                            read_phones(stem + '.phones'), seconds)
      render_melodies.write_labels(out_dir / f'{name}.f0.csv', times, f0)
      total += seconds
      rows.append({'file': f'{name}.wav', 'voice': u.voice.name,
                   'seed': u.seed, 'mean_f0_hz': f'{u.mean_f0_hz:.1f}',
                   'range_factor': f'{u.range_factor:.2f}',
                   'stretch': f'{u.stretch:.2f}',
                   'level_db': f'{u.level_db:.1f}',
                   'seconds': f'{seconds:.3f}', 'text': u.text})
  render_melodies.write_manifest(out_dir / 'manifest.csv', rows)
  return total


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--out', required=True, help='output folder')
  parser.add_argument('--minutes', type=float, default=10.0,
                      help='about this much speech (default: %(default)s)')
  parser.add_argument('--seed', type=int, default=2100)
  args = parser.parse_args(argv)
  if args.minutes <= 0:
    parser.error('--minutes must be positive')
  check_tools()
  # About 3.5 s an utterance; the count, not the duration, is what the seed
  # fixes, so the same command gives the same files.
  count = max(1, int(round(args.minutes * 60.0 / 3.5)))
  import time  # pylint: disable=g-import-not-at-top
  start = time.perf_counter()
  try:
    total = render_all(plan(args.seed, count), args.out)
  except RuntimeError as e:
    sys.exit(f'render_speech: {e}')
  elapsed = time.perf_counter() - start
  print(f'{count} files, {total / 60:.1f} min of speech in {args.out} '
        f'({elapsed:.0f} s, {total / max(elapsed, 1e-9):.0f}x real time)')


if __name__ == '__main__':
  main()
