# Script mode: cmake -DIN=file -DOUT=file.c -DSYMBOL=name -P embed_text.cmake
# Writes OUT defining `const char SYMBOL[]` holding the text of IN.
file(READ ${IN} text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n\"" text "${text}")
file(WRITE ${OUT}.tmp "/* generated from ${IN} */\nconst char ${SYMBOL}[] =\n\"${text}\";\n")
file(RENAME ${OUT}.tmp ${OUT})
