"""Quizzes in the browser: taking, results, the bank for trainers, item analysis."""
